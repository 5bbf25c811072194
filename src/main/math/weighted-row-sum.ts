/**
 * out[q] = base[rowOf(q)] + Σ_i w[q, i] · p[i] over vocab-length rows, in plain JS on the calling
 * thread: base (rows, vocab) read at `baseRows[q]`, w (n, r), p (r, vocab) → (n, vocab) float32.
 * Each pass adds two rows of p in float64 and rounds to float32 once (r ≤ 2: one rounding per
 * element, at least as exact as a float32 Gemm).
 *
 * For the few changed pairs of a re-run after an edit (r ≤ ~4) this costs ~1 ns per multiply-add
 * and no thread hop: cheaper than sending the base to the engine worker's Gemm and back, whose
 * copies also make the worker collect garbage on every call (docs/analysis.md, re-runs
 * after an edit). `out` (zeros or not, (n, vocab)) is written over; default a new array.
 */
export function weightedRowSum(
  base: Float32Array,
  baseRows: readonly number[],
  w: Float32Array,
  p: Float32Array,
  r: number,
  vocab: number,
  out: Float32Array = new Float32Array(baseRows.length * vocab),
): Float32Array {
  const n = baseRows.length
  if (out.length !== n * vocab) throw new RangeError(`weightedRowSum: out has ${out.length} floats, not ${n}·${vocab}`)
  for (let q = 0; q < n; q++) {
    const o = q * vocab
    const b = baseRows[q] * vocab
    const wq = q * r
    let i = 0
    if (r >= 2) {
      const w0 = w[wq]
      const w1 = w[wq + 1]
      let v = 0
      // four at a time: ~25% faster in V8 than the plain loop (2.2 vs 2.9 ms for 32 × 50,264)
      for (; v + 3 < vocab; v += 4) {
        out[o + v] = base[b + v] + w0 * p[v] + w1 * p[vocab + v]
        out[o + v + 1] = base[b + v + 1] + w0 * p[v + 1] + w1 * p[vocab + v + 1]
        out[o + v + 2] = base[b + v + 2] + w0 * p[v + 2] + w1 * p[vocab + v + 2]
        out[o + v + 3] = base[b + v + 3] + w0 * p[v + 3] + w1 * p[vocab + v + 3]
      }
      for (; v < vocab; v++) out[o + v] = base[b + v] + w0 * p[v] + w1 * p[vocab + v]
      i = 2
    } else if (r === 1) {
      const w0 = w[wq]
      for (let v = 0; v < vocab; v++) out[o + v] = base[b + v] + w0 * p[v]
      i = 1
    } else {
      out.set(base.subarray(b, b + vocab), o)
    }
    for (; i + 1 < r; i += 2) {
      const w0 = w[wq + i]
      const w1 = w[wq + i + 1]
      const p0 = i * vocab
      const p1 = p0 + vocab
      for (let v = 0; v < vocab; v++) out[o + v] += w0 * p[p0 + v] + w1 * p[p1 + v]
    }
    if (i < r) {
      const w0 = w[wq + i]
      const p0 = i * vocab
      for (let v = 0; v < vocab; v++) out[o + v] += w0 * p[p0 + v]
    }
  }
  return out
}
