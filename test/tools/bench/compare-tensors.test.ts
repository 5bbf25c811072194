import { describe, expect, it } from 'vitest'
import { compareTensors, unravel } from '../../../tools/bench/compare-tensors'

describe('compareTensors', () => {
  it('reports the max abs error relative to max |reference| and the worst multi-index', () => {
    const ref = Float32Array.from([1, -4, 2, 0.5, 3, -1]) // (2, 3)
    const ours = Float32Array.from([1, -4, 2.25, 0.5, 3, -1.5])
    const c = compareTensors('x', [2, 3], ours, ref)
    expect(c.scale).toBe(4)
    expect(c.maxAbsError).toBeCloseTo(0.5, 12)
    expect(c.relativeError).toBeCloseTo(0.125, 12)
    expect(c.worstIndex).toEqual([1, 2])
    expect([c.ours, c.reference]).toEqual([-1.5, -1])
  })

  it('treats NaN in ours as an infinite error', () => {
    const c = compareTensors('x', [3], Float32Array.from([0, NaN, 1]), Float32Array.from([0, 1, 1]))
    expect(c.relativeError).toBe(Infinity)
    expect(c.worstIndex).toEqual([1])
  })

  it('refuses arrays whose length does not match the shape', () => {
    expect(() => compareTensors('x', [2, 2], new Float32Array(4), new Float32Array(3))).toThrow(/expected 4 values/)
  })

  it('unravels C-order flat indices', () => {
    expect(unravel(0, [2, 3, 4])).toEqual([0, 0, 0])
    expect(unravel(23, [2, 3, 4])).toEqual([1, 2, 3])
    expect(unravel(13, [2, 3, 4])).toEqual([1, 0, 1])
  })
})
