/**
 * The plain float64 building blocks of the reference forward pass (backpack-spec.md §3 notation):
 * every value is a JS double; weights are read from the checkpoint's Float32Array exactly, sums
 * accumulate in double. Row-major throughout: a matrix [rows, cols] is `rows * cols` values.
 */

export type Weights = Float32Array | Float64Array

/** LN over each row of x (rows, n): (x − mean) / sqrt(var + eps) · w + b, biased variance. */
export function layerNorm(x: Float64Array, rows: number, n: number, w: Weights, b: Weights, eps: number): Float64Array {
  const out = new Float64Array(rows * n) // (rows, n)
  for (let r = 0; r < rows; r++) {
    const o = r * n
    let mean = 0
    for (let i = 0; i < n; i++) mean += x[o + i]
    mean /= n
    let v = 0
    for (let i = 0; i < n; i++) v += (x[o + i] - mean) ** 2
    const inv = 1 / Math.sqrt(v / n + eps)
    for (let i = 0; i < n; i++) out[o + i] = (x[o + i] - mean) * inv * w[i] + b[i]
  }
  return out
}

const GELU_C = Math.sqrt(2 / Math.PI)

/** gelu_new (tanh approximation, spec §7.8), in place. */
export function geluNew(x: Float64Array): Float64Array {
  for (let i = 0; i < x.length; i++) {
    const z = x[i]
    x[i] = 0.5 * z * (1 + Math.tanh(GELU_C * (z + 0.044715 * z * z * z)))
  }
  return x
}

/** HF Conv1D: x (rows, n_in) · W (n_in, n_out) + b (n_out) → (rows, n_out). */
export function conv1d(x: Float64Array, rows: number, nIn: number, w: Weights, b: Weights, nOut: number): Float64Array {
  const out = new Float64Array(rows * nOut) // (rows, n_out)
  for (let r = 0; r < rows; r++) {
    const o = r * nOut
    for (let j = 0; j < nOut; j++) out[o + j] = b[j]
    for (let i = 0; i < nIn; i++) {
      const xi = x[r * nIn + i]
      if (xi === 0) continue
      const wRow = i * nOut
      for (let j = 0; j < nOut; j++) out[o + j] += xi * w[wRow + j]
    }
  }
  return out
}

/** nn.Linear: x (rows, n_in) · Wᵀ with W (n_out, n_in), plus b (n_out) when given → (rows, n_out). */
export function linear(x: Float64Array, rows: number, nIn: number, w: Weights, b: Weights | null, nOut: number): Float64Array {
  const out = new Float64Array(rows * nOut) // (rows, n_out)
  for (let j = 0; j < nOut; j++) {
    const wRow = j * nIn
    for (let r = 0; r < rows; r++) {
      const xRow = r * nIn
      let s = 0
      for (let i = 0; i < nIn; i++) s += x[xRow + i] * w[wRow + i]
      out[r * nOut + j] = b ? s + b[j] : s
    }
  }
  return out
}

/** Softmax of row[0..n) in place (max subtracted first). */
export function softmaxInPlace(row: Float64Array, n: number): void {
  let max = -Infinity
  for (let i = 0; i < n; i++) if (row[i] > max) max = row[i]
  let sum = 0
  for (let i = 0; i < n; i++) {
    row[i] = Math.exp(row[i] - max)
    sum += row[i]
  }
  for (let i = 0; i < n; i++) row[i] /= sum
}

/** a += b, elementwise, in place. */
export function addInPlace(a: Float64Array, b: Float64Array): Float64Array {
  for (let i = 0; i < a.length; i++) a[i] += b[i]
  return a
}
