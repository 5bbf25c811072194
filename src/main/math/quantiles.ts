/**
 * Exact quantiles with linear interpolation between order statistics (the definition of
 * `torch.quantile`/numpy's default: position q·(n−1)), in O(n) time without sorting the whole
 * array: a fine histogram locates the bin of each needed rank, then only those bins are sorted.
 */
export function quantiles(values: ArrayLike<number>, qs: readonly number[], range?: { min: number; max: number }): number[] {
  const n = values.length
  if (n === 0) return qs.map(() => Number.NaN)
  for (const q of qs) if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile ${q} is outside [0, 1]`)
  let min = range?.min ?? Infinity
  let max = range?.max ?? -Infinity
  if (!range) {
    for (let i = 0; i < n; i++) {
      const v = values[i]
      if (v < min) min = v
      if (v > max) max = v
    }
  }
  if (min === max) return qs.map(() => min)
  const ranks = new Set<number>()
  for (const q of qs) {
    const pos = q * (n - 1)
    ranks.add(Math.floor(pos))
    ranks.add(Math.min(n - 1, Math.floor(pos) + 1))
  }
  const order = kthSmallest(values, [...ranks], min, max)
  return qs.map((q) => {
    const pos = q * (n - 1)
    const lo = Math.floor(pos)
    const a = order.get(lo) as number
    const b = order.get(Math.min(n - 1, lo + 1)) as number
    return a + (b - a) * (pos - lo)
  })
}

/**
 * The values of the given 0-based ranks in ascending order (what `Float64Array.from(values).sort()[r]`
 * gives), without sorting the whole array; NaN or infinite values fall back to that sort.
 */
export function orderStatistics(values: ArrayLike<number>, ranks: readonly number[]): Map<number, number> {
  const n = values.length
  let min = Infinity
  let max = -Infinity
  for (let i = 0; i < n; i++) {
    const v = values[i]
    if (v < min) min = v
    if (v > max) max = v
    if (Number.isNaN(v)) min = Number.NaN // a NaN anywhere: the sort below orders it
  }
  if (!Number.isFinite(min) || !Number.isFinite(max)) {
    const sorted = Float64Array.from(values).sort()
    return new Map(ranks.map((r) => [r, sorted[r]]))
  }
  if (min === max) return new Map(ranks.map((r) => [r, min]))
  return kthSmallest(values, [...new Set(ranks)], min, max)
}

const BINS = 4096

/**
 * The order statistics at the given 0-based ranks, by histogram refinement. Binning is monotone
 * in the value (subtraction and scaling by a positive constant are monotone in IEEE arithmetic),
 * so the values of rank r all lie in the bin that holds rank r.
 */
function kthSmallest(values: ArrayLike<number>, ranks: number[], min: number, max: number): Map<number, number> {
  const n = values.length
  const scale = BINS / (max - min)
  const binOf = new Uint16Array(n)
  const counts = new Int32Array(BINS)
  for (let i = 0; i < n; i++) {
    let b = ((values[i] - min) * scale) | 0
    if (b >= BINS) b = BINS - 1
    binOf[i] = b
    counts[b]++
  }
  const start = new Int32Array(BINS + 1) // start[b] = number of values in bins < b
  for (let b = 0; b < BINS; b++) start[b + 1] = start[b] + counts[b]
  const binOfRank = (r: number) => binOfRankIn(start, BINS, r)
  const slot = new Int16Array(BINS).fill(-1)
  const lists: number[][] = []
  for (const r of ranks) {
    const b = binOfRank(r)
    if (slot[b] < 0) {
      slot[b] = lists.length
      lists.push([])
    }
  }
  for (let i = 0; i < n; i++) {
    const w = slot[binOf[i]]
    if (w >= 0) lists[w].push(values[i])
  }
  for (const list of lists) list.sort((x, y) => x - y)
  const out = new Map<number, number>()
  for (const r of ranks) {
    const b = binOfRank(r)
    out.set(r, lists[slot[b]][r - start[b]])
  }
  return out
}

/**
 * The bin holding the value of rank r, given `start[b]` = number of values in bins below b
 * (non-decreasing, `bins + 1` entries): the last b with start[b] ≤ r, by binary search.
 */
export function binOfRankIn(start: Int32Array | Uint32Array | Float64Array, bins: number, r: number): number {
  let lo = 0
  let hi = bins - 1
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1
    if (start[mid] <= r) lo = mid
    else hi = mid - 1
  }
  return lo
}
