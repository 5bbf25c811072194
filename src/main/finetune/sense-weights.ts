/**
 * The weight a (token v, sense ℓ) pair has in the output of row t of a sequence x:
 *   w_t(v, ℓ) = Σ_{j ≤ t, x_j = v} α[ℓ, t, j]
 * — how much of C(v)_ℓ (and so of a change Δ(v, ℓ)) reaches logits_t = E · Σ_ℓ Σ_j α C. α does
 * not depend on the sense vectors, so these weights are fixed for the whole fine-tuning run.
 */
export interface SensePair {
  token: number
  sense: number
}

/**
 * Adds Σ_{t ∈ rows} w_t(x_j, ℓ) for every (token, sense) of the sequence into `acc`
 * (vocab, sense), scaled by `factor`. alpha: (sense, L, L) of the sequence `ids` (length L).
 */
export function accumulateAlphaMass(
  alpha: Float32Array,
  ids: readonly number[],
  k: number,
  rows: readonly number[],
  acc: Float64Array,
  factor = 1,
): void {
  const L = ids.length
  for (let l = 0; l < k; l++) {
    for (const t of rows) {
      const row = (l * L + t) * L // α[ℓ, t, ·]
      for (let j = 0; j <= t; j++) acc[ids[j] * k + l] += factor * alpha[row + j]
    }
  }
}

/** w_t(v_i, ℓ_i) for the given rows and pairs: (rows.length, m), float32. */
export function senseWeights(
  alpha: Float32Array,
  ids: readonly number[],
  k: number,
  rows: readonly number[],
  pairs: readonly SensePair[],
): Float32Array {
  const L = ids.length
  const m = pairs.length
  const out = new Float32Array(rows.length * m) // (row, pair)
  rows.forEach((t, r) => {
    pairs.forEach((p, i) => {
      const row = (p.sense * L + t) * L // α[ℓ_i, t, ·]
      let w = 0
      for (let j = 0; j <= t; j++) if (ids[j] === p.token) w += alpha[row + j]
      out[r * m + i] = w
    })
  })
  return out
}
