import { linear, softmaxInPlace } from './float64-ops'
import type { ReferenceWeights } from './reference-weights'

/** Spec §3.3: the weight net's additive causal mask (−10000, not −∞). */
const MASK = -10000

/**
 * Spec §3.3, the sense weight network: z = H·Wᵀ + b (nn.Linear layout) split into a query half
 * and a key half, each k chunks of d/k; s^ℓ_ij = q_i^ℓ·κ_j^ℓ / √(d/k) − 10000·[j > i]; α^ℓ_i· is
 * the softmax over all j (each sense normalised on its own; no layer factor).
 * hidden (pos, d_model) → α (sense, pos, pos), indexed [sense, query, key].
 */
export function senseWeights(w: ReferenceWeights, hidden: Float64Array, T: number): Float64Array {
  const { nEmbd: d, numSenses: K } = w.config
  const hd = d / K
  const z = linear(
    hidden,
    T,
    d,
    w.get('backpack.sense_weight_net.c_attn.weight', [2 * d, d]),
    w.get('backpack.sense_weight_net.c_attn.bias', [2 * d]),
    2 * d,
  ) // (pos, 2·d): q | κ
  const alpha = new Float64Array(K * T * T) // (sense, pos, pos)
  const row = new Float64Array(T) // (key)
  const scale = Math.sqrt(hd)
  for (let l = 0; l < K; l++) {
    for (let i = 0; i < T; i++) {
      for (let j = 0; j < T; j++) {
        let s = 0
        for (let c = 0; c < hd; c++) s += z[i * 2 * d + l * hd + c] * z[j * 2 * d + d + l * hd + c]
        row[j] = s / scale + (j > i ? MASK : 0)
      }
      softmaxInPlace(row, T)
      alpha.set(row, (l * T + i) * T)
    }
  }
  return alpha
}
