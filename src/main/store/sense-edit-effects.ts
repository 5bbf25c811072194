import { isVectorEdit } from '../../shared/edits/parse-sense-edits'
import type { SenseEditDocument } from '../../shared/edits/sense-edits'
import type { EffectToken } from '../../shared/store/comparison-types'
import { parseSenseEditsFor } from '../interventions/apply-sense-edits'
import type { InterventionRunner } from '../interventions/intervention-runner'
import { gpt2Tokenizer } from '../tokenizer/gpt2-tokenizer'
import type { EditEffectCalculator, EditedSenseEffect } from './edit-effects'

/** Tokens listed as promoted and as suppressed per edited sense. */
export const EFFECT_TOKENS = 5

/**
 * Edit effects on a loaded model: for every token a document's vector edits touch, its senses
 * before (C) and after (C̃) all the document's edits, and for every sense that changed the
 * projection of the change over the vocabulary, Δ = E·(C̃ − C)_sense (one `project` call per token).
 */
export function senseEditEffects(analysis: InterventionRunner): EditEffectCalculator {
  const { engine } = analysis
  return {
    checkpointHash: engine.contentHash,
    async effects(doc: SenseEditDocument): Promise<EditedSenseEffect[]> {
      const vector = parseSenseEditsFor(engine, doc).edits.edits.filter(isVectorEdit)
      const tokens = [...new Set(vector.map((e) => e.token))].sort((a, b) => a - b)
      if (tokens.length === 0) return []
      const { numSenses: k, nEmbd: d, vocabSize: V } = engine.config
      const before = await analysis.tokenSenses(tokens) // each (sense, d_model)
      const after = await analysis.editedSenses(tokens, vector)
      const out: EditedSenseEffect[] = []
      for (const [t, token] of tokens.entries()) {
        const changed: number[] = []
        for (let l = 0; l < k; l++) {
          let any = false
          for (let c = 0; c < d; c++) if (after[t][l * d + c] !== before[t][l * d + c]) any = true
          if (any) changed.push(l)
        }
        if (changed.length === 0) continue
        const delta = new Float32Array(changed.length * d) // (changed, d_model)
        changed.forEach((l, i) => {
          for (let c = 0; c < d; c++) delta[i * d + c] = after[t][l * d + c] - before[t][l * d + c]
        })
        const scores = await engine.project(delta, changed.length) // (changed, vocab)
        changed.forEach((sense, i) => {
          const row = scores.subarray(i * V, (i + 1) * V)
          const vec = delta.subarray(i * d, (i + 1) * d)
          out.push({
            token,
            sense,
            effect: { norm: norm(row), vectorNorm: norm(vec), promoted: extremes(row, 1), suppressed: extremes(row, -1) },
          })
        })
      }
      return out
    },
  }
}

function norm(v: Float32Array): number {
  let s = 0
  for (let i = 0; i < v.length; i++) s += v[i] * v[i]
  return Math.sqrt(s)
}

/** The EFFECT_TOKENS tokens with the largest (sign 1) or smallest (sign −1) scores, ties by id. */
function extremes(row: Float32Array, sign: 1 | -1): EffectToken[] {
  const best: number[] = []
  for (let i = 0; i < row.length; i++) {
    const v = sign * row[i]
    if (best.length === EFFECT_TOKENS && v <= sign * row[best[best.length - 1]]) continue
    let j = best.length
    while (j > 0 && sign * row[best[j - 1]] < v) j--
    best.splice(j, 0, i)
    if (best.length > EFFECT_TOKENS) best.pop()
  }
  const tok = gpt2Tokenizer()
  return best.map((id) => ({ id, token: tok.tokenText(id), score: row[id] }))
}
