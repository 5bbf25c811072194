import type { ReferenceWeights } from './reference-weights'

/**
 * Spec §3.4: o_i = Σ_ℓ Σ_j α^ℓ_ij · C(x_j)_ℓ (no 1/k, no final LN), then logits_i = E·o_i with the
 * LM head tied to the word embedding (no bias). senses (sense, pos, d_model), α (sense, pos, pos)
 * → logits (pos, vocab). `onRows(done, total)` reports progress through the vocabulary.
 */
export function combineSenses(
  w: ReferenceWeights,
  senses: Float64Array,
  alpha: Float64Array,
  T: number,
  onRows: (done: number, total: number) => void = () => {},
): Float64Array {
  const { nEmbd: d, numSenses: K, vocabSize: V } = w.config
  const o = new Float64Array(T * d) // (pos, d_model)
  for (let l = 0; l < K; l++) {
    for (let i = 0; i < T; i++) {
      for (let j = 0; j < T; j++) {
        const a = alpha[(l * T + i) * T + j]
        if (a === 0) continue
        const src = (l * T + j) * d
        for (let c = 0; c < d; c++) o[i * d + c] += a * senses[src + c]
      }
    }
  }

  const E = w.embedding() // (vocab, d_model)
  const logits = new Float64Array(T * V) // (pos, vocab)
  const chunk = Math.max(1, Math.ceil(V / 16))
  for (let v0 = 0; v0 < V; v0 += chunk) {
    const v1 = Math.min(V, v0 + chunk)
    for (let v = v0; v < v1; v++) {
      const row = v * d
      for (let i = 0; i < T; i++) {
        let s = 0
        const oi = i * d
        for (let c = 0; c < d; c++) s += o[oi + c] * E[row + c]
        logits[i * V + v] = s
      }
    }
    onRows(v1, V)
  }
  return logits
}
