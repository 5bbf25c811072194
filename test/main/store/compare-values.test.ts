import { describe, expect, it } from 'vitest'
import { compareValues } from '../../../src/main/store/compare-values'

describe('compareValues', () => {
  it('walks objects, arrays and typed arrays and names the paths that differ', () => {
    const a = { m: { x: 1, y: [1, 2, 3] }, t: Float32Array.from([0.5, 1.5]), s: 'tok' }
    expect(compareValues(a, structuredClone(a), 0)).toEqual({ equal: true, maxAbsDiff: 0, mismatches: [] })
    const b = { m: { x: 1, y: [1, 2, 4] }, t: Float32Array.from([0.5, 1.25]), s: 'other' }
    const d = compareValues(a, b, 0.1)
    expect(d.equal).toBe(false)
    expect(d.mismatches).toEqual(['$.m.y[2]: 3 vs 4', '$.t[1]: 1.5 vs 1.25', '$.s: "tok" vs "other"'])
    expect(d.maxAbsDiff).toBe(1)
    expect(compareValues([1, 2], [1, 2, 3], 1).mismatches).toEqual(['$: length 2 vs 3'])
    expect(compareValues({ a: 1 }, { a: 1, b: 2 }, 1).equal).toBe(false) // a key only on one side
  })

  it('uses |a − b| ≤ atol + rtol·|a| with a the stored value', () => {
    expect(compareValues(1, 1 + 2e-5, 1e-5).equal).toBe(false)
    expect(compareValues(1, 1 + 2e-5, 1e-5, 1e-5).equal).toBe(true) // 2e-5 ≤ 1e-5 + 1e-5·1
    expect(compareValues(1, 1 + 3e-5, 1e-5, 1e-5).equal).toBe(false)
    // a perplexity of ~5.5e6 after a one-step float32 change in its mean log-prob
    const lp = Math.fround(-15.512825)
    const next = lp + 2 ** -19 // one float32 step at |x| in [8, 16)
    const [p, q] = [Math.exp(-lp), Math.exp(-next)]
    expect(Math.abs(p - q)).toBeGreaterThan(1) // far beyond any absolute 1e-5
    expect(compareValues({ perplexity: p }, { perplexity: q }, 1e-5).equal).toBe(false)
    expect(compareValues({ perplexity: p }, { perplexity: q }, 1e-5, 1e-5).equal).toBe(true)
  })

  it('treats NaN as equal to NaN and an infinity as equal only to itself', () => {
    expect(compareValues([NaN, Infinity, -Infinity], [NaN, Infinity, -Infinity], 0, 1e-5).equal).toBe(true)
    expect(compareValues([Infinity], [-Infinity], 1, 1).equal).toBe(false)
    expect(compareValues([1], [NaN], 1, 1).equal).toBe(false)
  })
})
