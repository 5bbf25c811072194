/** Dark/light theme: follows the system until the user picks one, then remembers it. */
export class ThemeState {
  #theme = $state<'light' | 'dark'>('light')
  readonly #win: Window

  constructor(win: Window = window) {
    this.#win = win
    const saved = win.localStorage.getItem('backpack-theme')
    const system = win.matchMedia?.('(prefers-color-scheme: dark)').matches ? 'dark' : 'light'
    this.#apply(saved === 'dark' || saved === 'light' ? saved : system)
  }

  get theme() {
    return this.#theme
  }

  toggle(): void {
    this.#apply(this.#theme === 'dark' ? 'light' : 'dark')
    this.#win.localStorage.setItem('backpack-theme', this.#theme)
  }

  #apply(theme: 'light' | 'dark'): void {
    this.#theme = theme
    this.#win.document.documentElement.dataset.theme = theme
  }
}
