/**
 * The shareable part of app state, kept in the URL hash: `#/<view>?key=value…`
 * (e.g. `#/senses?word=%20nurse`, `#/compare?ids=3,7,9`). Reading and writing go through here.
 */
export const VIEWS = [
  'model',
  'prompt',
  'senses',
  'interventions',
  'generate',
  'suites',
  'experiments',
  'compare',
  'teach',
  'sweeps',
] as const
export type ViewName = (typeof VIEWS)[number]

/**
 * Parameters every view shares and carries from view to view: the prompt (`text`) and the current
 * edits (`edits`, base64url JSON, see lib/edits-url.ts).
 */
export const SHARED_PARAMS = ['text', 'edits'] as const

export interface Route {
  view: ViewName
  params: Record<string, string>
}

export function parseHash(hash: string): Route {
  const body = hash.replace(/^#\/?/, '')
  const q = body.indexOf('?')
  const name = (q >= 0 ? body.slice(0, q) : body) || 'model'
  const params: Record<string, string> = {}
  // a one-off parse, not reactive state
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  if (q >= 0) new URLSearchParams(body.slice(q + 1)).forEach((v, k) => (params[k] = v))
  const view = (VIEWS as readonly string[]).includes(name) ? (name as ViewName) : 'model'
  return { view, params }
}

export function formatHash(route: Route): string {
  const entries = Object.entries(route.params).filter(([, v]) => v !== '')
  // encodeURIComponent keeps the leading space of " nurse" visible as %20
  const qs = entries.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&')
  return `#/${route.view}${qs ? '?' + qs : ''}`
}

export class RouteState {
  #route = $state<Route>({ view: 'model', params: {} })
  readonly #win: Window

  constructor(win: Window = window) {
    this.#win = win
    this.#route = parseHash(win.location.hash)
    win.addEventListener('hashchange', () => (this.#route = parseHash(win.location.hash)))
  }

  get view(): ViewName {
    return this.#route.view
  }

  get params(): Record<string, string> {
    return this.#route.params
  }

  /** Opens a view with these parameters and the shared ones of the current URL (a new history entry). */
  go(view: ViewName, params: Record<string, string> = {}): void {
    this.#route = { view, params: { ...this.shared, ...params } }
    const hash = formatHash(this.#route)
    if (this.#win.location.hash !== hash) this.#win.location.hash = hash
  }

  /** the shared parameters (prompt, edits) of the current URL */
  get shared(): Record<string, string> {
    const out: Record<string, string> = {}
    for (const k of SHARED_PARAMS) if (this.#route.params[k] !== undefined) out[k] = this.#route.params[k]
    return out
  }

  /** The URL of `view` with the shared parameters (for navigation links). */
  href(view: ViewName): string {
    return formatHash({ view, params: this.shared })
  }

  /** Updates parameters of the current view without a new history entry. */
  update(params: Record<string, string>): void {
    this.#route = { view: this.#route.view, params: { ...this.#route.params, ...params } }
    this.#win.history.replaceState(null, '', formatHash(this.#route))
  }
}
