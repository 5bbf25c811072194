import type { LastStep } from './incremental-decoder'

export interface DominantContribution {
  /** source token and sense whose summed contribution to the chosen token's logit is largest */
  tokenId: number
  sense: number
  /** Σ over the positions of that token of α̃·δ_eff·(E_v·C̃(x_j)_ℓ) */
  value: number
  /** value / Σ of all positive contributions (how much of the push it accounts for) */
  share: number
  positions: number[]
}

/**
 * The (source token, sense) pair that contributes most to logit[v] at the last position, by
 * the exact decomposition logit[v] = Σ_ℓ Σ_j α̃[ℓ, j]·δ_eff[ℓ, j]·(E_v·C̃(x_j)_ℓ)
 * (backpack-spec.md §3.6), contributions summed over the positions of each token id.
 * Cost: one d-long dot per (position, sense), as much as the step's own mix.
 */
export function dominantContribution(
  step: LastStep,
  ids: readonly number[],
  ev: Float32Array,
  numSenses: number,
  dModel: number,
): DominantContribution {
  const n = ids.length
  const sums = new Map<number, Float64Array>() // token → (sense)
  const where = new Map<number, number[]>()
  let positive = 0
  for (let j = 0; j < n; j++) {
    const id = ids[j]
    let acc = sums.get(id)
    if (!acc) {
      acc = new Float64Array(numSenses)
      sums.set(id, acc)
      where.set(id, [])
    }
    ;(where.get(id) as number[]).push(j)
    const c = step.senses[j]
    for (let l = 0; l < numSenses; l++) {
      const w = step.alphaRow[l * n + j] * (step.topicScale ? step.topicScale[l * n + j] : 1)
      if (w === 0) continue
      let s = 0
      const off = l * dModel
      for (let x = 0; x < dModel; x++) s += ev[x] * c[off + x]
      const v = w * s
      acc[l] += v
      if (v > 0) positive += v
    }
  }
  let best: DominantContribution = { tokenId: ids[0], sense: 0, value: -Infinity, share: 0, positions: [] }
  for (const [tokenId, acc] of sums) {
    for (let l = 0; l < numSenses; l++) {
      if (acc[l] > best.value) best = { tokenId, sense: l, value: acc[l], share: 0, positions: where.get(tokenId) as number[] }
    }
  }
  best.share = positive > 0 ? Math.max(0, best.value) / positive : 0
  return best
}
