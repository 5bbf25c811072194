import { insertBestFirst } from './top-k'
import { SUMMARY_QUANTILES, type ScoreSummary } from './score-summary'
import { binOfRankIn } from './quantiles'

export interface RankedScores {
  /** indices (relative to the offset) of the `top` largest values, best first */
  top: number[]
  /** indices of the `top` smallest values, smallest first */
  bottom: number[]
  summary: ScoreSummary
}

const FINE_BINS = 4096
/** scratch for the fine histogram: reused across calls (single-threaded) */
const fineCounts = new Int32Array(FINE_BINS)
const fineStart = new Int32Array(FINE_BINS + 1)
const fineSlot = new Int16Array(FINE_BINS)

/**
 * Order keys: the top 16 bits of a float32's bits made order-preserving (negative values' magnitude
 * bits flipped, then the sign bit), so key(x) ≤ key(y) whenever x ≤ y, and -0 sorts before +0 as
 * in a typed-array sort. A key bin is one sign, one exponent and 7 mantissa bits: values within a
 * factor 1 + 2⁻⁷ of each other.
 */
const KEYS = 65536
/** per key bin, zero (slot: -1) between calls: counts; SPLIT | NEEDED marks for pass 2; buffer slot */
const keyCounts = new Int32Array(KEYS)
const SPLIT = 1 // the bin straddles a coarse histogram edge: its values are binned one by one
const NEEDED = 2 // the bin holds an order statistic of a quantile: its values are kept and sorted
const keyStart = new Int32Array(KEYS + 1)
const keyMark = new Uint8Array(KEYS)
const keySlot = new Int16Array(KEYS).fill(-1)
const bits32 = new Int32Array(1)
const float32 = new Float32Array(bits32.buffer)

/** The float32 value of the lowest (hi = false) or highest bit pattern in key bin k. */
function keyBinEnd(k: number, hi: boolean): number {
  const t = ((k ^ 0x8000) << 16) | (hi ? 0xffff : 0) | 0 // order-preserving int32
  bits32[0] = t >= 0 ? t : t ^ 0x7fffffff
  return float32[0]
}

function keyOf(x: number): number {
  float32[0] = x
  const y = bits32[0]
  return ((y ^ ((y >> 31) & 0x7fffffff)) >>> 16) ^ 0x8000
}

/**
 * Top-k, bottom-k and the distribution summary of values[offset .. offset+length) in two passes
 * with no per-value allocation: (1) min, max, sum, both top-k buffers and a 65536-bin histogram
 * of order keys (exact bit patterns, so no range is needed yet); (2) squared deviations, and the
 * values of the few key bins that hold a needed order statistic or straddle a coarse histogram
 * edge. Every other key bin lies inside one coarse bin (binning is monotone in the value), so its
 * count goes there whole. Results equal `topKIndices` (same ties, same NaN rule) and
 * `scoreSummary` (same sums in the same order, exact quantiles with linear interpolation); input
 * with NaN or infinities, or all equal, takes the general three-pass route (`rankScoresGeneral`).
 */
export function rankScores(values: Float32Array, offset: number, length: number, top: number, bins = 20): RankedScores {
  const v = values.subarray(offset, offset + length)
  const n = v.length
  const u = new Int32Array(values.buffer, values.byteOffset + offset * 4, n)
  const topIdx: number[] = []
  const topVal: number[] = []
  const botIdx: number[] = [] // bottom-k as the best of -x
  const botVal: number[] = []
  if (!(top >= 1)) return rankScoresGeneral(values, offset, length, top, bins)
  let sum = 0
  const counts = keyCounts
  let i = 0
  // until both buffers are full: every value that is not NaN goes in
  for (; i < n && topIdx.length < top; i++) {
    const x = v[i]
    sum += x
    const y = u[i]
    counts[((y ^ ((y >> 31) & 0x7fffffff)) >>> 16) ^ 0x8000]++
    if (x === x) {
      insertBestFirst(topIdx, topVal, top, i, x)
      insertBestFirst(botIdx, botVal, top, i, -x)
    }
  }
  // then only values beyond the current k-th (a NaN never is)
  let topThr = topIdx.length === top ? topVal[top - 1] : Infinity
  let botThr = botIdx.length === top ? -botVal[top - 1] : -Infinity
  for (; i < n; i++) {
    const x = v[i]
    sum += x
    const y = u[i]
    counts[((y ^ ((y >> 31) & 0x7fffffff)) >>> 16) ^ 0x8000]++
    if (x > topThr) {
      insertBestFirst(topIdx, topVal, top, i, x)
      topThr = topVal[top - 1]
    }
    if (x < botThr) {
      insertBestFirst(botIdx, botVal, top, i, -x)
      botThr = -botVal[top - 1]
    }
  }
  // the first occurrences of the largest and smallest values, as `x > max` / `x < min` would keep
  const max = topVal[0]
  const min = -botVal[0]
  if (!(Number.isFinite(sum) && max > min && Number.isFinite(max - min))) {
    counts.fill(0)
    return rankScoresGeneral(values, offset, length, top, bins)
  }
  // -0 and +0 compare equal, so min (max) may be either zero while the other one is also there
  const kMin = min === 0 ? keyOf(-0) : keyOf(min)
  const kMax = max === 0 ? keyOf(0) : keyOf(max)
  const mean = sum / n
  const width = (max - min) / bins
  const coarse = (x: number) => {
    const b = ((x - min) / width) | 0
    return b >= bins ? bins - 1 : b
  }
  // the coarse bins of a key bin's lowest and highest possible values: both non-decreasing in k
  const coarseLo = (k: number) => coarse(Math.max(min, keyBinEnd(k, false)))
  const coarseHi = (k: number) => coarse(Math.min(max, keyBinEnd(k, true)))
  const start = keyStart
  let acc = 0
  start[kMin] = 0
  for (let k = kMin; k <= kMax; k++) start[k + 1] = acc += counts[k]
  // edge[b] = the first key bin that can hold a value of coarse bin ≥ b: key bins in
  // [edge[b], edge[b + 1]) hold only coarse bin b, except edge[b] itself when it straddles
  const edge = new Int32Array(bins + 1)
  edge[0] = kMin
  edge[bins] = kMax + 1
  for (let b = 1; b < bins; b++) {
    let lo = edge[b - 1]
    let hi = kMax + 1
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (coarseHi(mid) >= b) hi = mid
      else lo = mid + 1
    }
    edge[b] = lo
  }
  const hist = new Int32Array(bins)
  for (let b = 0; b < bins; b++) hist[b] = start[edge[b + 1]] - start[edge[b]]
  const mark = keyMark
  for (let b = 1; b < bins; b++) {
    const k = edge[b]
    if (k > kMax || counts[k] === 0 || mark[k] & SPLIT || coarseLo(k) >= b) continue
    // its values are binned one by one in pass 2, so take them out of the range they were counted in
    let owner = b
    while (owner < bins - 1 && edge[owner + 1] === k) owner++
    hist[owner] -= counts[k]
    mark[k] |= SPLIT
  }
  const starts = start.subarray(kMin, kMax + 2)
  const binOfRank = (r: number) => kMin + binOfRankIn(starts, kMax - kMin + 1, r)
  const slot = keySlot
  const bufs: Float32Array[] = []
  const fill: number[] = []
  for (const p of SUMMARY_QUANTILES) {
    const lo = Math.floor(p * (n - 1))
    for (const r of [lo, Math.min(n - 1, lo + 1)]) {
      const k = binOfRank(r)
      if (slot[k] < 0) {
        slot[k] = bufs.length
        bufs.push(new Float32Array(counts[k]))
        fill.push(0)
        mark[k] |= NEEDED
      }
    }
  }
  let ss = 0
  for (let i = 0; i < n; i++) {
    const x = v[i]
    ss += (x - mean) * (x - mean)
    const y = u[i]
    const m = mark[((y ^ ((y >> 31) & 0x7fffffff)) >>> 16) ^ 0x8000]
    if (m !== 0) {
      if (m & SPLIT) hist[coarse(x)]++
      if (m & NEEDED) {
        const w = slot[((y ^ ((y >> 31) & 0x7fffffff)) >>> 16) ^ 0x8000]
        bufs[w][fill[w]++] = x
      }
    }
  }
  for (const b of bufs) b.sort()
  const at = (r: number) => {
    const k = binOfRank(r)
    return bufs[slot[k]][r - start[k]]
  }
  const q: Record<string, number> = {}
  for (const p of SUMMARY_QUANTILES) {
    const pos = p * (n - 1)
    const lo = Math.floor(pos)
    const a = at(lo)
    const b = at(Math.min(n - 1, lo + 1))
    q[`q${String(Math.round(p * 100)).padStart(2, '0')}`] = a + (b - a) * (pos - lo)
  }
  counts.fill(0, kMin, kMax + 1)
  mark.fill(0, kMin, kMax + 1)
  slot.fill(-1, kMin, kMax + 1)
  return {
    top: topIdx,
    bottom: botIdx,
    summary: {
      min,
      max,
      mean,
      std: Math.sqrt(ss / n),
      histogram: { edges: Array.from({ length: bins + 1 }, (_, b) => (b === bins ? max : min + b * width)), counts: Array.from(hist) },
      quantiles: q,
    },
  }
}

/** The three-pass route of `rankScores` for any input (NaN, infinities, constant values). */
export function rankScoresGeneral(values: Float32Array, offset: number, length: number, top: number, bins = 20): RankedScores {
  const v = values.subarray(offset, offset + length)
  const n = v.length
  const topIdx: number[] = []
  const topVal: number[] = []
  const botIdx: number[] = []
  const botVal: number[] = []
  let topThr = -Infinity
  let botThr = -Infinity
  let min = Infinity
  let max = -Infinity
  let sum = 0
  for (let i = 0; i < n; i++) {
    const x = v[i]
    if (x < min) min = x
    if (x > max) max = x
    sum += x
    if (top > 0) {
      if (x > topThr || (topIdx.length < top && x === x)) {
        insertBestFirst(topIdx, topVal, top, i, x)
        if (topIdx.length === top) topThr = topVal[top - 1]
      }
      const y = -x
      if (y > botThr || (botIdx.length < top && y === y)) {
        insertBestFirst(botIdx, botVal, top, i, y)
        if (botIdx.length === top) botThr = botVal[top - 1]
      }
    }
  }
  const mean = sum / n
  const width = (max - min) / bins
  const hist = new Int32Array(bins)
  const fine = fineCounts.fill(0)
  const scale = FINE_BINS / (max - min)
  const spread = max > min
  let ss = 0
  for (let i = 0; i < n; i++) {
    const x = v[i]
    ss += (x - mean) * (x - mean)
    let b = width > 0 ? ((x - min) / width) | 0 : 0
    if (b >= bins) b = bins - 1
    hist[b]++
    if (spread) {
      let f = ((x - min) * scale) | 0
      if (f >= FINE_BINS) f = FINE_BINS - 1
      fine[f]++
    }
  }
  const counts = Array.from(hist)
  const edges = Array.from({ length: bins + 1 }, (_, b) => (b === bins ? max : min + b * width))
  const qv = spread ? fineQuantiles(v, min, scale) : SUMMARY_QUANTILES.map(() => (n === 0 ? Number.NaN : min))
  const q: Record<string, number> = {}
  SUMMARY_QUANTILES.forEach((p, i) => (q[`q${String(Math.round(p * 100)).padStart(2, '0')}`] = qv[i]))
  return {
    top: topIdx.slice(0, top),
    bottom: botIdx.slice(0, top),
    summary: { min, max, mean, std: Math.sqrt(ss / n), histogram: { edges, counts }, quantiles: q },
  }
}

/** SUMMARY_QUANTILES of v from the filled fine histogram (binning is monotone in the value). */
function fineQuantiles(v: Float32Array, min: number, scale: number): number[] {
  const n = v.length
  const start = fineStart
  start[0] = 0
  for (let b = 0; b < FINE_BINS; b++) start[b + 1] = start[b] + fineCounts[b]
  const binOfRank = (r: number) => binOfRankIn(start, FINE_BINS, r)
  const ranks: number[] = []
  for (const p of SUMMARY_QUANTILES) {
    const lo = Math.floor(p * (n - 1))
    ranks.push(lo, Math.min(n - 1, lo + 1))
  }
  const slot = fineSlot.fill(-1)
  const bufs: Float32Array[] = []
  const fill: number[] = []
  for (const r of ranks) {
    const b = binOfRank(r)
    if (slot[b] < 0) {
      slot[b] = bufs.length
      bufs.push(new Float32Array(fineCounts[b]))
      fill.push(0)
    }
  }
  for (let i = 0; i < n; i++) {
    const x = v[i]
    let f = ((x - min) * scale) | 0
    if (f >= FINE_BINS) f = FINE_BINS - 1
    const w = slot[f]
    if (w >= 0) bufs[w][fill[w]++] = x
  }
  for (const b of bufs) b.sort()
  const at = (r: number) => {
    const b = binOfRank(r)
    return bufs[slot[b]][r - start[b]]
  }
  return SUMMARY_QUANTILES.map((p) => {
    const pos = p * (n - 1)
    const lo = Math.floor(pos)
    const a = at(lo)
    const b = at(Math.min(n - 1, lo + 1))
    return a + (b - a) * (pos - lo)
  })
}
