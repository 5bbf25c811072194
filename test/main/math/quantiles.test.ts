import { describe, expect, it } from 'vitest'
import { quantiles } from '../../../src/main/math/quantiles'
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
