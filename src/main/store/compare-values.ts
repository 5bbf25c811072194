/**
 * Structural comparison with a numeric tolerance: used to check that re-running a stored run
 * reproduces its outputs. Typed arrays and plain arrays compare element-wise.
 */
export interface ValueDiff {
  equal: boolean
  /** largest |a − b| over all numbers compared */
  maxAbsDiff: number
  /** paths that differ beyond the tolerance (first 20) */
  mismatches: string[]
}

export function compareValues(a: unknown, b: unknown, atol: number): ValueDiff {
  const state = { maxAbsDiff: 0, mismatches: [] as string[] }
  walk(a, b, '$', atol, state)
  return { equal: state.mismatches.length === 0, maxAbsDiff: state.maxAbsDiff, mismatches: state.mismatches.slice(0, 20) }
}

function walk(a: unknown, b: unknown, path: string, atol: number, s: { maxAbsDiff: number; mismatches: string[] }): void {
  if (typeof a === 'number' && typeof b === 'number') {
    if (Number.isNaN(a) && Number.isNaN(b)) return
    const d = Math.abs(a - b)
    if (!(d <= atol)) s.mismatches.push(`${path}: ${a} vs ${b}`)
    if (Number.isFinite(d)) s.maxAbsDiff = Math.max(s.maxAbsDiff, d)
    return
  }
  const la = listLike(a)
  const lb = listLike(b)
  if (la && lb) {
    if (la.length !== lb.length) {
      s.mismatches.push(`${path}: length ${la.length} vs ${lb.length}`)
      return
    }
    for (let i = 0; i < la.length; i++) walk(la[i], lb[i], `${path}[${i}]`, atol, s)
    return
  }
  if (a && b && typeof a === 'object' && typeof b === 'object' && !la && !lb) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)])
    for (const k of keys) walk((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`, atol, s)
    return
  }
  if (a !== b) s.mismatches.push(`${path}: ${JSON.stringify(a)?.slice(0, 60)} vs ${JSON.stringify(b)?.slice(0, 60)}`)
}

function listLike(v: unknown): ArrayLike<unknown> | undefined {
  if (Array.isArray(v)) return v
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return v as unknown as ArrayLike<unknown>
  return undefined
}
