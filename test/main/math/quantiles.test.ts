import { describe, expect, it } from 'vitest'
import { orderStatistics, quantiles } from '../../../src/main/math/quantiles'
import { mulberry32 } from '../../helpers/mulberry32'

/** numpy/torch default: linear interpolation at q·(n−1) of the sorted values. */
function bySort(values: number[], q: number): number {
  const s = [...values].sort((a, b) => a - b)
  const pos = q * (s.length - 1)
  const lo = Math.floor(pos)
  const hi = Math.min(s.length - 1, lo + 1)
  return s[lo] + (s[hi] - s[lo]) * (pos - lo)
}

describe('quantiles', () => {
  const qs = [0, 0.01, 0.25, 0.5, 0.6, 0.8, 0.95, 0.99, 1]
  it.each([
    ['uniform', (r: () => number) => r()],
    ['heavy-tailed', (r: () => number) => Math.tan((r() - 0.5) * 3.1)],
    ['many ties', (r: () => number) => (r() < 0.7 ? 0 : Math.round(r() * 5))],
  ])('equals the sort-based definition exactly (%s)', (_, draw) => {
    const rand = mulberry32(5)
    for (const n of [1, 2, 7, 1000, 20001]) {
      const values = Float32Array.from({ length: n }, () => draw(rand))
      const got = quantiles(values, qs)
      qs.forEach((q, i) => expect(got[i]).toBe(bySort(Array.from(values), q)))
    }
  })

  it('handles constant input and rejects q outside [0, 1]', () => {
    expect(quantiles(new Float32Array(5).fill(2), [0.5])).toEqual([2])
    expect(() => quantiles(new Float32Array(3), [1.5])).toThrow(RangeError)
  })
})

describe('orderStatistics', () => {
  it('gives the values a full ascending sort has at the ranks: ties, negative zeros, a constant array, NaN and infinities', () => {
    const rand = mulberry32(11)
    const cases: Float64Array[] = [
      Float64Array.from({ length: 20000 }, () => Math.round((rand() - 0.3) * 50) / 7), // many ties
      Float64Array.from({ length: 5000 }, () => (rand() < 0.9 ? 0 : rand() < 0.5 ? -0 : rand() * 1e6)), // mostly zeros, a long tail
      new Float64Array(100).fill(2.5),
      Float64Array.from({ length: 1000 }, (_, i) => (i === 17 ? Number.NaN : i === 40 ? -Infinity : rand())),
      Float64Array.from({ length: 1000 }, (_, i) => (i === 3 ? Infinity : rand() - 0.5)),
    ]
    for (const values of cases) {
      const n = values.length
      const ranks = [0, 1, Math.floor(0.6 * (n - 1)), Math.floor(0.8 * (n - 1)) + 1, Math.floor(0.95 * (n - 1)), n - 1]
      const sorted = Float64Array.from(values).sort()
      const got = orderStatistics(values, ranks)
      // the same value (+0 and −0 compare equal, as the windows built from them do; NaN sorts last)
      for (const r of ranks) expect(got.get(r) === sorted[r] || Object.is(got.get(r), sorted[r])).toBe(true)
    }
  })
})
