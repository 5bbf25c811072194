import type { FinetuneLoss } from './canonical-examples'
import { accumulateAlphaMass, type SensePair } from './sense-weights'

/**
 * Sense selection (Hewitt et al. 2024, Eq. 9, the "alpha" importance of their code): for each
 * example, every (v, ℓ) with v a token of the example scores
 *   score(v, ℓ) = Σ_{t ∈ suffix rows} w_t(v, ℓ) − λ · mean_t∈background w_t(v, ℓ)
 * (the α mass it sends to the rows that predict the suffix, minus λ times its mean α mass per
 * background position). For `balance` the masses of both suffixes' rows add up; for
 * `good-v-bad` suffix2's is subtracted from suffix1's (as the authors' code does). Pairs whose
 * suffix mass is not positive are never chosen. The top k per example are taken (ties: lower
 * token id, then lower sense), and the union is trained.
 */
export interface ScoredSense extends SensePair {
  score: number
  /** Σ over the suffix rows of w_t(v, ℓ) (signed for good-v-bad) */
  suffixMass: number
  /** mean background w_t(v, ℓ) */
  backgroundMass: number
}

export interface SelectedSense extends ScoredSense {
  /** lines of the examples that chose it */
  lines: number[]
}

/** One scored sequence of an example: ids, the rows that predict its suffix, α (sense, L, L). */
export interface SequenceAlpha {
  ids: readonly number[]
  rows: readonly number[]
  alpha: Float32Array
}

export interface SelectionArgs {
  loss: FinetuneLoss
  examples: { line: number; sequences: SequenceAlpha[] }[]
  /** mean background α mass (vocab, sense) */
  backgroundMass: Float32Array
  vocabSize: number
  textVocab: number
  numSenses: number
  perExample: number
  lambda: number
}

export function selectSenses(a: SelectionArgs): { perExample: { line: number; senses: ScoredSense[] }[]; selected: SelectedSense[] } {
  const k = a.numSenses
  const acc = new Float64Array(a.vocabSize * k) // (vocab, sense), reset after each example
  const union = new Map<string, SelectedSense>()
  const perExample = a.examples.map(({ line, sequences }) => {
    sequences.forEach((s, i) => accumulateAlphaMass(s.alpha, s.ids, k, s.rows, acc, a.loss === 'good-v-bad' && i === 1 ? -1 : 1))
    const tokens = [...new Set(sequences.flatMap((s) => s.ids))].sort((x, y) => x - y)
    const scored: ScoredSense[] = []
    for (const token of tokens) {
      for (let sense = 0; sense < k; sense++) {
        const suffixMass = acc[token * k + sense]
        acc[token * k + sense] = 0
        if (!(suffixMass > 0) || token >= a.textVocab) continue // padding rows are never edited
        const backgroundMass = a.backgroundMass[token * k + sense]
        scored.push({ token, sense, score: suffixMass - a.lambda * backgroundMass, suffixMass, backgroundMass })
      }
    }
    scored.sort((x, y) => y.score - x.score || x.token - y.token || x.sense - y.sense)
    const senses = scored.slice(0, a.perExample)
    for (const s of senses) {
      const key = `${s.token}:${s.sense}`
      const had = union.get(key)
      if (had) had.lines.push(line)
      else union.set(key, { ...s, lines: [line] })
    }
    return { line, senses }
  })
  const selected = [...union.values()].sort((x, y) => y.score - x.score || x.token - y.token || x.sense - y.sense)
  return { perExample, selected }
}
