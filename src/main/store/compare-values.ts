/**
 * Structural comparison with a numeric tolerance: used to check that re-running a stored run
 * reproduces its outputs. Typed arrays and plain arrays compare element-wise. Two numbers match
 * when |a − b| ≤ atol + rtol·|a| (`a` is the stored value, as in numpy's isclose): float32
 * results that differ in their last bit stay equal also where the value is large (a perplexity
 * of 10⁶ moves by ~1 when a log-prob moves by one float32 step).
 */
export interface ValueDiff {
  equal: boolean
  /** largest |a − b| over all numbers compared */
  maxAbsDiff: number
  /** paths that differ beyond the tolerance (first 20) */
  mismatches: string[]
}

export function compareValues(a: unknown, b: unknown, atol: number, rtol = 0): ValueDiff {
  const state = { maxAbsDiff: 0, mismatches: [] as string[] }
  walk(a, b, '$', { atol, rtol }, state)
  return { equal: state.mismatches.length === 0, maxAbsDiff: state.maxAbsDiff, mismatches: state.mismatches.slice(0, 20) }
}

interface Tolerance {
  atol: number
  rtol: number
}

function walk(a: unknown, b: unknown, path: string, tol: Tolerance, s: { maxAbsDiff: number; mismatches: string[] }): void {
  if (typeof a === 'number' && typeof b === 'number') {
    if (Number.isNaN(a) && Number.isNaN(b)) return
    if (a === b) return // also equal infinities
    const d = Math.abs(a - b)
    // an infinity (or NaN) matches only itself, whatever the tolerance
    if (!Number.isFinite(d) || !(d <= tol.atol + tol.rtol * Math.abs(a))) s.mismatches.push(`${path}: ${a} vs ${b}`)
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
    for (let i = 0; i < la.length; i++) walk(la[i], lb[i], `${path}[${i}]`, tol, s)
    return
  }
  if (a && b && typeof a === 'object' && typeof b === 'object' && !la && !lb) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)])
    for (const k of keys) walk((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`, tol, s)
    return
  }
  if (a !== b) s.mismatches.push(`${path}: ${JSON.stringify(a)?.slice(0, 60)} vs ${JSON.stringify(b)?.slice(0, 60)}`)
}

function listLike(v: unknown): ArrayLike<unknown> | undefined {
  if (Array.isArray(v)) return v
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return v as unknown as ArrayLike<unknown>
  return undefined
}
