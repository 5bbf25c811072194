/**
 * ∂objective/∂Δ_i = Eᵀ·G_i for every selected pair: (m, d_model) from G (m, vocab) and the
 * embedding E (vocab, d_model). A plain loop over E: m·textVocab·d multiply-adds per step
 * (about 77 M for 12 pairs on the demo, d = 128; 463 M at full size, d = 768).
 */
export function senseGradients(G: Float64Array, E: Float32Array, m: number, vocabSize: number, textVocab: number, d: number): Float64Array {
  const out = new Float64Array(m * d) // (pair, d_model)
  for (let v = 0; v < textVocab; v++) {
    const eRow = v * d
    for (let i = 0; i < m; i++) {
      const gv = G[i * vocabSize + v]
      if (gv === 0) continue
      const o = i * d
      for (let c = 0; c < d; c++) out[o + c] += gv * E[eRow + c]
    }
  }
  return out
}
