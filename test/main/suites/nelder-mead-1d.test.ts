import { describe, expect, it } from 'vitest'
import { nelderMead1d } from '../../../src/main/suites/nelder-mead-1d'

describe('nelderMead1d', () => {
  it('finds the minimum of smooth and non-smooth 1-D functions from x0 = 1 (1e-3)', async () => {
    const a = await nelderMead1d((x) => (x - 3) ** 2 + 1, 1)
    expect(a.x).toBeCloseTo(3, 3)
    expect(a.value).toBeCloseTo(1, 6)
    expect(a.converged).toBe(true)
    const b = await nelderMead1d((x) => Math.abs(x - 0.37) + 2 * Math.abs(1 - x) * 0, 1)
    expect(Math.abs(b.x - 0.37)).toBeLessThan(1e-3)
    // the gender-bias objective's shape: a decreasing bias term plus |1 − w|
    const c = await nelderMead1d(async (w) => 1 + 3 * Math.exp(-4 * Math.max(0, 1 - w)) * (w > 1 ? w : 1) + Math.abs(1 - w), 1)
    const grid = Array.from({ length: 2001 }, (_, i) => -1 + i / 1000).map(
      (w) => 1 + 3 * Math.exp(-4 * Math.max(0, 1 - w)) * (w > 1 ? w : 1) + Math.abs(1 - w),
    )
    expect(c.value).toBeLessThanOrEqual(Math.min(...grid) + 1e-3)
  })

  it('stops at the iteration and evaluation limits', async () => {
    let calls = 0
    const r = await nelderMead1d(
      (x) => {
        calls++
        return -x // unbounded below
      },
      1,
      { maxIterations: 7 },
    )
    expect(r.iterations).toBe(7)
    expect(r.converged).toBe(false)
    expect(r.evaluations).toBe(calls)
    const s = await nelderMead1d((x) => -x, 1, { maxEvaluations: 10 })
    expect(s.evaluations).toBeLessThanOrEqual(11)
  })
})
