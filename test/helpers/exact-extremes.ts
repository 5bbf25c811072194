import { expect } from 'vitest'

/**
 * The tolerance of an fp32 dot product of length d against the exact value (standard bound for
 * any summation order, u = 2^-24): |fl(h·e) − h·e| ≤ d·u/(1 − d·u) · Σ_c |h_c e_c|. The extremes
 * are compared with the exact (float64) max/min of the same fp32 inputs under this bound, taken
 * over the columns.
 */
export function expectExactExtremes(got: { max: number; min: number }, h: Float32Array, E: Float32Array, V: number, d: number): void {
  let max = -Infinity
  let min = Infinity
  let abs = 0
  for (let v = 0; v < V; v++) {
    let s = 0
    let a = 0
    for (let c = 0; c < d; c++) {
      s += h[c] * E[v * d + c]
      a += Math.abs(h[c] * E[v * d + c])
    }
    max = Math.max(max, s)
    min = Math.min(min, s)
    abs = Math.max(abs, a)
  }
  const u = 2 ** -24
  const tol = ((d * u) / (1 - d * u)) * abs + 2 * u * Math.max(Math.abs(max), Math.abs(min))
  expect(Math.abs(got.max - max)).toBeLessThanOrEqual(tol)
  expect(Math.abs(got.min - min)).toBeLessThanOrEqual(tol)
}
