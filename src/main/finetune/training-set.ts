import type { SensePair } from './sense-weights'

/**
 * Everything the fine-tuning steps read, fixed after one forward pass per example and per
 * reached background window: α does not depend on the sense vectors, so with additive changes
 * Δ_i on the selected pairs (v_i, ℓ_i) the logits of any row are
 *   logits_t = base_t + Σ_i w_t,i · (E·Δ_i)
 * and only the base logits and the weights w_t,i of the rows that matter are kept.
 */
export interface ScoredRows {
  /** the token each row predicts */
  targets: Int32Array // (n)
  /** logits of the original model */
  baseLogits: Float32Array // (n, vocab)
  /** w_t,i of the selected pairs */
  weights: Float32Array // (n, m)
}

export interface TrainingExample {
  line: number
  /** one sequence per suffix: the rows that predict it */
  sequences: ScoredRows[]
}

/**
 * The background rows a change to the selected senses can reach (those after the first
 * occurrence of a selected token in their window); every other row keeps its original NLL and
 * contributes exactly 0 to the KL term.
 */
export interface BackgroundRows extends ScoredRows {
  /** log Σ exp of each row's base logits over the real tokens */
  baseLse: Float64Array // (n)
  /** the original model's softmax (real tokens; padding ids 0), kept to save an exponential per entry and step */
  baseProbs: Float32Array // (n, vocab)
  /** predicted positions of the whole background: the KL and NLL means divide by it */
  positions: number
  /** Σ of the original NLL over the rows the change cannot reach */
  unreachedNllSum: number
}

export interface TrainingSet {
  vocabSize: number
  /** real tokens: the softmax runs over ids < textVocab (padding rows masked) */
  textVocab: number
  dModel: number
  pairs: SensePair[]
  examples: TrainingExample[]
  background: BackgroundRows
}
