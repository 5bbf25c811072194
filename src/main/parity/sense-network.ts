import { addInPlace, conv1d, geluNew, layerNorm } from './float64-ops'
import type { ReferenceWeights } from './reference-weights'

/**
 * Spec §3.1, the sense network C(x): per token, from the word embedding only (no positions):
 * r = e + LN(e); r += MLP(LN_1(r)); c = final_MLP(LN_2(r)); sense ℓ is the ℓ-th consecutive
 * d-chunk of c. Returns senses (sense, pos, d_model).
 */
export function senseNetwork(w: ReferenceWeights, ids: readonly number[]): Float64Array {
  const { nEmbd: d, numSenses: K, senseIntermediateScale: scale, layerNormEpsilon: eps } = w.config
  const T = ids.length
  const p = 'backpack.sense_network'
  const vec = (name: string, n: number) => w.get(`${p}.${name}`, [n])
  const E = w.embedding() // (vocab, d_model)

  const e = new Float64Array(T * d) // (pos, d_model)
  for (let t = 0; t < T; t++) for (let i = 0; i < d; i++) e[t * d + i] = E[ids[t] * d + i]

  const r = addInPlace(layerNorm(e, T, d, vec('ln.weight', d), vec('ln.bias', d), eps), e) // (pos, d_model)
  const h = layerNorm(r, T, d, vec('block.ln_1.weight', d), vec('block.ln_1.bias', d), eps)
  const inner = geluNew(conv1d(h, T, d, w.get(`${p}.block.mlp.c_fc.weight`, [d, 4 * d]), vec('block.mlp.c_fc.bias', 4 * d), 4 * d)) // (pos, 4d)
  addInPlace(r, conv1d(inner, T, 4 * d, w.get(`${p}.block.mlp.c_proj.weight`, [4 * d, d]), vec('block.mlp.c_proj.bias', d), d))
  const g = layerNorm(r, T, d, vec('block.ln_2.weight', d), vec('block.ln_2.bias', d), eps)
  const wide = geluNew(
    conv1d(g, T, d, w.get(`${p}.final_mlp.c_fc.weight`, [d, scale * d]), vec('final_mlp.c_fc.bias', scale * d), scale * d),
  ) // (pos, scale·d)
  const c = conv1d(
    wide,
    T,
    scale * d,
    w.get(`${p}.final_mlp.c_proj.weight`, [scale * d, K * d]),
    vec('final_mlp.c_proj.bias', K * d),
    K * d,
  ) // (pos, sense·d_model)

  const senses = new Float64Array(K * T * d) // (sense, pos, d_model)
  for (let t = 0; t < T; t++) {
    for (let l = 0; l < K; l++) senses.set(c.subarray(t * K * d + l * d, t * K * d + (l + 1) * d), (l * T + t) * d)
  }
  return senses
}
