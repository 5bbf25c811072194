import { addInPlace, conv1d, geluNew, layerNorm, softmaxInPlace } from './float64-ops'
import type { ReferenceWeights } from './reference-weights'

/**
 * Spec §3.2, the contextualization network: a pre-LN GPT-2 over E[x] + P[pos] whose attention
 * scores are divided by √head_dim · (layer + 1) (0-based layer; each factor as the config says),
 * causal mask (keys after the query take no weight), final LN. Returns H (pos, d_model).
 * `onLayer(l)` is called after each layer.
 */
export function contextualizationNetwork(
  w: ReferenceWeights,
  ids: readonly number[],
  onLayer: (layer: number) => void = () => {},
): Float64Array {
  const { nEmbd: d, nHead: H, nLayer, nInner, nPositions, layerNormEpsilon: eps, scaleAttnWeights, scaleAttnByInverseLayerIdx } = w.config
  const T = ids.length
  const hd = d / H
  const E = w.embedding() // (vocab, d_model)
  const P = w.get('backpack.gpt2_model.wpe.weight', [nPositions, d]) // (positions, d_model)

  const h = new Float64Array(T * d) // (pos, d_model)
  for (let t = 0; t < T; t++) for (let i = 0; i < d; i++) h[t * d + i] = E[ids[t] * d + i] + P[t * d + i]

  for (let layer = 0; layer < nLayer; layer++) {
    const p = `backpack.gpt2_model.h.${layer}`
    const vec = (name: string, n: number) => w.get(`${p}.${name}`, [n])
    const a = layerNorm(h, T, d, vec('ln_1.weight', d), vec('ln_1.bias', d), eps)
    const qkv = conv1d(a, T, d, w.get(`${p}.attn.c_attn.weight`, [d, 3 * d]), vec('attn.c_attn.bias', 3 * d), 3 * d) // (pos, 3·d): q | k | v
    let divisor = 1
    if (scaleAttnWeights) divisor *= Math.sqrt(hd)
    if (scaleAttnByInverseLayerIdx) divisor *= layer + 1
    const merged = new Float64Array(T * d) // (pos, d_model), heads side by side
    const scores = new Float64Array(T) // (key) for one (head, query)
    for (let head = 0; head < H; head++) {
      const off = head * hd // head n uses dims [n·hd, (n+1)·hd)
      for (let i = 0; i < T; i++) {
        for (let j = 0; j <= i; j++) {
          let s = 0
          for (let c = 0; c < hd; c++) s += qkv[i * 3 * d + off + c] * qkv[j * 3 * d + d + off + c]
          scores[j] = s / divisor
        }
        softmaxInPlace(scores, i + 1) // keys j > i are masked out entirely
        for (let j = 0; j <= i; j++) {
          const pj = scores[j]
          for (let c = 0; c < hd; c++) merged[i * d + off + c] += pj * qkv[j * 3 * d + 2 * d + off + c]
        }
      }
    }
    addInPlace(h, conv1d(merged, T, d, w.get(`${p}.attn.c_proj.weight`, [d, d]), vec('attn.c_proj.bias', d), d))
    const m = layerNorm(h, T, d, vec('ln_2.weight', d), vec('ln_2.bias', d), eps)
    const inner = geluNew(conv1d(m, T, d, w.get(`${p}.mlp.c_fc.weight`, [d, nInner]), vec('mlp.c_fc.bias', nInner), nInner)) // (pos, n_inner)
    addInPlace(h, conv1d(inner, T, nInner, w.get(`${p}.mlp.c_proj.weight`, [nInner, d]), vec('mlp.c_proj.bias', d), d))
    onLayer(layer)
  }
  return layerNorm(h, T, d, w.get('backpack.gpt2_model.ln_f.weight', [d]), w.get('backpack.gpt2_model.ln_f.bias', [d]), eps)
}
