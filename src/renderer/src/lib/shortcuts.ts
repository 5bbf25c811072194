import { VIEWS, type ViewName } from '../state/route-state.svelte'

/** What a key press outside a text field does. */
export type ShortcutAction = { kind: 'view'; view: ViewName } | { kind: 'help' } | { kind: 'close' } | { kind: 'theme' }

/** The shortcut list shown behind `?` (and the only keys the app binds globally). */
export const SHORTCUTS: { keys: string; what: string }[] = [
  { keys: '?', what: 'show or hide this list' },
  ...VIEWS.map((v, i) => ({ keys: String((i + 1) % 10), what: `open the ${v[0].toUpperCase() + v.slice(1)} view` })),
  { keys: 'd', what: 'toggle the dark/light theme' },
  { keys: 'Esc', what: 'close this list; in the α heatmap, hide the cursor' },
  { keys: 'Tab / Shift+Tab', what: 'move between controls; Enter or Space presses a button, sense card or token' },
  { keys: '← ↑ → ↓', what: 'in the focused α heatmap: move the cursor (Shift: 10 cells) and read the value' },
]

/** The action of a key press, or null when the key is not a shortcut or is typed into a field. */
export function shortcutFor(
  e: Pick<KeyboardEvent, 'key' | 'ctrlKey' | 'metaKey' | 'altKey'>,
  target: EventTarget | null,
): ShortcutAction | null {
  if (e.ctrlKey || e.metaKey || e.altKey) return null
  const el = target as HTMLElement | null
  if (el && (el.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName)))
    return e.key === 'Escape' ? { kind: 'close' } : null
  if (e.key === '?') return { kind: 'help' }
  if (e.key === 'Escape') return { kind: 'close' }
  if (e.key === 'd') return { kind: 'theme' }
  // 1–9 open the first nine views, 0 the tenth
  const n = e.key === '0' ? 10 : Number(e.key)
  if (/^[0-9]$/.test(e.key) && n >= 1 && n <= VIEWS.length) return { kind: 'view', view: VIEWS[n - 1] }
  return null
}
