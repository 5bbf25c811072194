import { TOPIC_STRENGTH_WEIGHTS } from '../../shared/edits/topic-words'
import { dot } from '../interventions/edit-sense-vectors'

/**
 * Step 3 of topic control (backpack-spec.md §4.3) for a growing sequence: the annealed
 * multipliers δ_eff(ℓ, j) are recomputed over the **whole current sequence** on every call,
 * as the authors' code does on every forward pass — the same numbers as
 * `annealedTopicScale(ids, …)` (src/main/interventions/topic-weights.ts) on the full ids.
 * What is cached is only what does not change as the sequence grows: the dot products
 * E[t]·C(u)_ℓ of every pair of distinct tokens (t, u) seen so far, so a step costs
 * O(new distinct tokens · distinct tokens · K · d) plus O(distinct² · K + n · K).
 */
export class TopicAnnealer {
  readonly #k: number
  readonly #d: number
  readonly #delta: Float32Array // (vocab, sense) from step 2
  readonly #f: number
  readonly #tokens: number[] = [] // distinct tokens in order of first occurrence
  readonly #index = new Map<number, number>()
  readonly #emb: Float32Array[] = [] // E[t], (d_model)
  readonly #senses: Float32Array[] = [] // C̃(u) after vector edits, (sense, d_model)
  readonly #dots: Float64Array[][] = [] // [u][t] → (sense): E[t]·C̃(u)_ℓ
  readonly #count: number[] = []
  readonly #ids: number[] = []

  constructor(delta: Float32Array, numSenses: number, dModel: number, strength: 0 | 1 | 2 | 3) {
    this.#delta = delta
    this.#k = numSenses
    this.#d = dModel
    this.#f = Math.max(...TOPIC_STRENGTH_WEIGHTS[strength]) / 7.5
  }

  /** Adds tokens with their (vector-edited) senses (sense, d_model) and embedding rows (d_model). */
  push(ids: readonly number[], senses: readonly Float32Array[], embeddings: readonly Float32Array[]): void {
    ids.forEach((id, i) => {
      this.#ids.push(id)
      const known = this.#index.get(id)
      if (known !== undefined) {
        this.#count[known]++
        return
      }
      const u = this.#tokens.length
      this.#index.set(id, u)
      this.#tokens.push(id)
      this.#emb.push(embeddings[i])
      this.#senses.push(senses[i])
      this.#count.push(1)
      this.#dots.push([])
      for (let w = 0; w <= u; w++) {
        this.#dots[u][w] = this.#pair(u, w)
        if (w !== u) this.#dots[w][u] = this.#pair(w, u)
      }
    })
  }

  #pair(u: number, t: number): Float64Array {
    const out = new Float64Array(this.#k)
    for (let l = 0; l < this.#k; l++) out[l] = dot(this.#emb[t], 0, this.#senses[u], l * this.#d, this.#d)
    return out
  }

  /** δ_eff over the current sequence: (sense, pos). */
  scale(): Float32Array {
    const k = this.#k
    const n = this.#ids.length
    const U = this.#tokens.length
    const a = new Float64Array(U * k) // (distinct token, sense)
    for (let u = 0; u < U; u++) {
      for (let l = 0; l < k; l++) {
        let sum = 0
        for (let t = 0; t < U; t++) {
          const s = this.#dots[u][t][l]
          if (s > 0) sum += this.#count[t] * s
        }
        a[u * k + l] = sum
      }
    }
    const out = new Float32Array(k * n) // (sense, pos)
    for (let j = 0; j < n; j++) {
      const id = this.#ids[j]
      const u = this.#index.get(id) as number
      for (let l = 0; l < k; l++) {
        const score = (1 / (1 + Math.exp(this.#f * a[u * k + l] - 6))) * (1 + j / 100)
        out[l * n + j] = score * this.#delta[id * k + l] + (1 - score)
      }
    }
    return out
  }
}
