import { insertBestFirst } from '../prediction/top-k'
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
 * Top-k, bottom-k and the distribution summary of values[offset .. offset+length) in three passes
 * with no per-value allocation: (1) min, max, sum and both top-k buffers; (2) squared deviations,
 * the coarse histogram and a fine 4096-bin histogram; (3) the values of the few fine bins that hold
 * the needed order statistics, sorted. Results equal `topKIndices` (same ties, same NaN rule) and
 * `scoreSummary` (same sums in the same order, exact quantiles with linear interpolation).
 */
export function rankScores(values: Float32Array, offset: number, length: number, top: number, bins = 20): RankedScores {
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
