/**
 * Exact quantiles with linear interpolation between order statistics (the definition of
 * `torch.quantile`/numpy's default: position q·(n−1)), in O(n) time without sorting the whole
 * array: a fine histogram locates the bin of each needed rank, then only those bins are sorted.
 */
export function quantiles(values: ArrayLike<number>, qs: readonly number[]): number[] {
  const n = values.length
  if (n === 0) return qs.map(() => Number.NaN)
  for (const q of qs) if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile ${q} is outside [0, 1]`)
  let min = Infinity
  let max = -Infinity
  for (let i = 0; i < n; i++) {
    const v = values[i]
    if (v < min) min = v
    if (v > max) max = v
  }
  if (min === max) return qs.map(() => min)
  const ranks = new Set<number>()
  for (const q of qs) {
    const pos = q * (n - 1)
    ranks.add(Math.floor(pos))
    ranks.add(Math.min(n - 1, Math.floor(pos) + 1))
  }
  const values_ = kthSmallest(values, [...ranks], min, max)
  return qs.map((q) => {
    const pos = q * (n - 1)
    const lo = Math.floor(pos)
    const a = values_.get(lo) as number
    const b = values_.get(Math.min(n - 1, lo + 1)) as number
    return a + (b - a) * (pos - lo)
  })
}

const BINS = 4096

/** The order statistics at the given 0-based ranks, by histogram refinement. */
function kthSmallest(values: ArrayLike<number>, ranks: number[], min: number, max: number): Map<number, number> {
  const n = values.length
  const scale = BINS / (max - min)
  const bin = (v: number) => Math.min(BINS - 1, Math.floor((v - min) * scale))
  const counts = new Uint32Array(BINS)
  for (let i = 0; i < n; i++) counts[bin(values[i])]++
  const start = new Uint32Array(BINS + 1) // start[b] = number of values in bins < b
  for (let b = 0; b < BINS; b++) start[b + 1] = start[b] + counts[b]
  const binOfRank = (r: number) => {
    let lo = 0
    let hi = BINS - 1
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1
      if (start[mid] <= r) lo = mid
      else hi = mid - 1
    }
    return lo
  }
  const wanted = new Map<number, number[]>()
  for (const r of ranks) {
    const b = binOfRank(r)
    if (!wanted.has(b)) wanted.set(b, [])
  }
  for (let i = 0; i < n; i++) {
    const list = wanted.get(bin(values[i]))
    if (list) list.push(values[i])
  }
  const out = new Map<number, number>()
  for (const list of wanted.values()) list.sort((x, y) => x - y)
  for (const r of ranks) {
    const b = binOfRank(r)
    out.set(r, (wanted.get(b) as number[])[r - start[b]])
  }
  return out
}
