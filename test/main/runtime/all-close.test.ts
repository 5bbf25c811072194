import { describe, expect, it } from 'vitest'
import { allCloseReport, expectAllClose } from '../../helpers/all-close'

/** The parity helper itself (test/helpers/all-close.ts): it must fail when values differ. */
describe('expectAllClose', () => {
  it('passes within tolerance and reports the worst index by shape', () => {
    const r = expectAllClose([1, 2, 3.00001, 4], [1, 2, 3, 4], { atol: 1e-4, shape: [2, 2] })
    expect(r.worstAt).toBe('[1, 0]')
    expect(r.maxAbsError).toBeCloseTo(1e-5, 8)
  })

  it('scales the tolerance by max |expected| with rtolToScale', () => {
    expect(allCloseReport([100.01], [100], { rtolToScale: 1e-4 }).bound).toBeCloseTo(0.01, 10)
    expect(() => expectAllClose([0, 100.02], [0, 100], { rtolToScale: 1e-4 })).toThrow(/max abs error/)
  })

  it('fails on a difference, a NaN, a length mismatch, or no tolerance', () => {
    expect(() => expectAllClose([1, 2], [1, 2.1], { atol: 1e-3, label: 'x' })).toThrow(/x: max abs error .* at \[1\]/)
    expect(() => expectAllClose([NaN], [1], { atol: 1 })).toThrow()
    expect(() => expectAllClose([1], [1, 2], { atol: 1 })).toThrow()
    expect(() => expectAllClose([1], [1], {})).toThrow(/needs atol or rtolToScale/)
  })
})
