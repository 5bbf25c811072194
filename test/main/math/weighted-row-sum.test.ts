import { describe, expect, it } from 'vitest'
import { weightedRowSum } from '../../../src/main/math/weighted-row-sum'

/** A small deterministic float32 array in [-1, 1). */
function floats(n: number, seed: number): Float32Array {
  let x = seed >>> 0
  return Float32Array.from({ length: n }, () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0
    return x / 2 ** 31 - 1
  })
}

describe('weightedRowSum', () => {
  const vocab = 37
  const base = floats(6 * vocab, 1) // 6 base rows

  it.each([0, 1, 2, 3, 4, 5])('equals base[row] + Σ w·p in float64 (r = %i), rows in any order', (r) => {
    const rows = [4, 0, 4, 2]
    const w = floats(rows.length * r, 2)
    const p = floats(r * vocab, 3)
    const out = weightedRowSum(base, rows, w, p, r, vocab)
    expect(out.length).toBe(rows.length * vocab)
    rows.forEach((row, q) => {
      for (let v = 0; v < vocab; v++) {
        let want = base[row * vocab + v]
        for (let i = 0; i < r; i++) want += w[q * r + i] * p[i * vocab + v]
        // float64 reference; ours rounds to float32 once per pass of two rows
        expect(Math.abs(out[q * vocab + v] - want)).toBeLessThanOrEqual(4e-7 * Math.max(1, Math.abs(want)) * Math.ceil(r / 2 + 1))
      }
    })
  })

  it('r = 0 copies the base rows exactly, into a new array', () => {
    const out = weightedRowSum(base, [1, 3], new Float32Array(0), new Float32Array(0), 0, vocab)
    expect(Array.from(out)).toEqual([...base.subarray(vocab, 2 * vocab), ...base.subarray(3 * vocab, 4 * vocab)])
    expect(out.buffer).not.toBe(base.buffer)
  })

  it('writes over a given output array (whatever it held) and rejects one of the wrong length', () => {
    const rows = [5, 1]
    const w = floats(rows.length * 3, 6)
    const p = floats(3 * vocab, 7)
    const want = weightedRowSum(base, rows, w, p, 3, vocab)
    const out = new Float32Array(rows.length * vocab).fill(NaN)
    expect(weightedRowSum(base, rows, w, p, 3, vocab, out)).toBe(out)
    expect(out).toEqual(want)
    expect(() => weightedRowSum(base, rows, w, p, 3, vocab, new Float32Array(vocab))).toThrow(RangeError)
  })

  it('carries a non-finite value through (the caller checks)', () => {
    const p = floats(vocab, 5)
    p[7] = Infinity
    const out = weightedRowSum(base, [0], Float32Array.of(1), p, 1, vocab)
    expect(out[7]).toBe(Infinity)
  })
})
