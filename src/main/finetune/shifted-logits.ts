/**
 * The edited logits of one row from the original ones, without the model: with P_i = E·Δ_i the
 * projections of the m changes (m, vocab),
 *   s[v] = base[v] + Σ_i w_i · P_i[v]      for the real tokens v < textVocab,
 * written into `s`, and e[v] = exp(s[v] − max s) into `e` (both float64); returns the softmax
 * normaliser: p[v] = e[v] / z, log Σ exp s = lse. Cost m·textVocab multiply-adds and textVocab
 * exponentials.
 */
export function shiftedSoftmax(
  base: Float32Array,
  baseOffset: number,
  P: Float32Array, // (m, vocab)
  vocabSize: number,
  weights: Float32Array,
  weightOffset: number,
  m: number,
  textVocab: number,
  s: Float64Array, // (textVocab)
  e: Float64Array, // (textVocab)
): { z: number; lse: number } {
  for (let v = 0; v < textVocab; v++) s[v] = base[baseOffset + v]
  for (let i = 0; i < m; i++) {
    const w = weights[weightOffset + i]
    if (w === 0) continue
    const row = i * vocabSize
    for (let v = 0; v < textVocab; v++) s[v] += w * P[row + v]
  }
  let mx = -Infinity
  for (let v = 0; v < textVocab; v++) if (s[v] > mx) mx = s[v]
  let z = 0
  for (let v = 0; v < textVocab; v++) {
    const x = Math.exp(s[v] - mx)
    e[v] = x
    z += x
  }
  return { z, lse: mx + Math.log(z) }
}

/** G_i += c · w_i · g for every pair i (G: (m, vocab), float64; g over the real tokens). */
export function accumulatePairGradients(
  G: Float64Array,
  vocabSize: number,
  weights: Float32Array,
  weightOffset: number,
  m: number,
  c: number,
  g: Float64Array,
  textVocab: number,
): void {
  for (let i = 0; i < m; i++) {
    const w = c * weights[weightOffset + i]
    if (w === 0) continue
    const row = i * vocabSize
    for (let v = 0; v < textVocab; v++) G[row + v] += w * g[v]
  }
}
