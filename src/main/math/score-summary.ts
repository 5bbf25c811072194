import { quantiles } from './quantiles'

export interface ScoreSummary {
  min: number
  max: number
  mean: number
  std: number
  /** equal-width bins over [min, max]: edges has bins+1 entries */
  histogram: { edges: number[]; counts: number[] }
  /** exact quantiles (linear interpolation), keyed "q01", "q50", … */
  quantiles: Record<string, number>
}

export const SUMMARY_QUANTILES = [0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99]

/** Distribution of values[offset .. offset+length): moments, histogram and quantiles. */
export function scoreSummary(values: Float32Array, offset: number, length: number, bins = 20): ScoreSummary {
  const v = values.subarray(offset, offset + length)
  let min = Infinity
  let max = -Infinity
  let sum = 0
  for (let i = 0; i < v.length; i++) {
    const x = v[i]
    if (x < min) min = x
    if (x > max) max = x
    sum += x
  }
  const mean = sum / v.length
  let ss = 0
  const counts = new Array<number>(bins).fill(0)
  const width = (max - min) / bins
  const hist = new Int32Array(bins)
  for (let i = 0; i < v.length; i++) {
    const x = v[i]
    ss += (x - mean) * (x - mean)
    let b = width > 0 ? ((x - min) / width) | 0 : 0
    if (b >= bins) b = bins - 1
    hist[b]++
  }
  for (let b = 0; b < bins; b++) counts[b] = hist[b]
  const edges = Array.from({ length: bins + 1 }, (_, b) => (b === bins ? max : min + b * width))
  const qv = quantiles(v, SUMMARY_QUANTILES, { min, max })
  const q: Record<string, number> = {}
  SUMMARY_QUANTILES.forEach((p, i) => (q[`q${String(Math.round(p * 100)).padStart(2, '0')}`] = qv[i]))
  return { min, max, mean, std: Math.sqrt(ss / v.length), histogram: { edges, counts }, quantiles: q }
}
