import { WorkbenchError } from '../../shared/errors'
import { combineSenses } from './combine-senses'
import { contextualizationNetwork } from './contextualization-network'
import type { ReferenceWeights } from './reference-weights'
import { senseNetwork } from './sense-network'
import { senseWeights } from './sense-weights'

/** The three tensors the parity check compares, in float64, batch dimension dropped. */
export interface ReferenceOutputs {
  logits: Float64Array // (pos, vocab)
  senses: Float64Array // (sense, pos, d_model)
  contextualization: Float64Array // (sense, pos, pos): α
}

export type ReferencePhase = 'read' | 'senses' | 'layer' | 'sense-weights' | 'lm-head'

/** Steps done of the whole run (read + senses + one per layer + sense weights + LM head chunks). */
export interface ReferenceProgress {
  phase: ReferencePhase
  done: number
  total: number
  message: string
}

/** LM-head progress is reported in this many steps (it dominates the time at full size). */
export const LM_HEAD_STEPS = 16

/** Progress steps of a whole run for a model with `nLayer` layers (reading the checkpoint is step 1). */
export const referenceSteps = (nLayer: number): number => 1 + 1 + nLayer + 1 + LM_HEAD_STEPS

/**
 * The independent float64 Backpack forward pass (backpack-spec.md §3), plain loops over the
 * checkpoint's weights: sense network, GPT-2 contextualization, sense weight network α, then the
 * α-weighted sense sum and the tied LM head. Shares nothing with the ONNX engine but the weights.
 */
export function referenceForward(
  w: ReferenceWeights,
  ids: readonly number[],
  onProgress: (p: ReferenceProgress) => void = () => {},
): ReferenceOutputs {
  const { vocabSize: V, nPositions, nLayer } = w.config
  if (ids.length === 0) throw new WorkbenchError('bad-request', 'the reference forward pass needs at least one token id')
  if (ids.length > nPositions) throw new WorkbenchError('too-long', `${ids.length} tokens exceed n_positions=${nPositions}`)
  const bad = ids.findIndex((x) => !Number.isInteger(x) || x < 0 || x >= V)
  if (bad >= 0) throw new WorkbenchError('bad-request', `token id ${ids[bad]} at position ${bad} is outside [0, ${V})`)

  const T = ids.length
  const total = referenceSteps(nLayer)
  let done = 1 // the checkpoint has been read
  const step = (phase: ReferencePhase, message: string) => onProgress({ phase, done: ++done, total, message })

  const senses = senseNetwork(w, ids) // (sense, pos, d_model)
  step('senses', 'sense network')
  const hidden = contextualizationNetwork(w, ids, (l) => step('layer', `contextualization layer ${l + 1}/${nLayer}`)) // (pos, d_model)
  const contextualization = senseWeights(w, hidden, T) // (sense, pos, pos)
  step('sense-weights', 'sense weights α')
  let reported = 0
  const logits = combineSenses(w, senses, contextualization, T, (rows, all) => {
    // one step per 1/LM_HEAD_STEPS of the vocabulary, whatever the chunking
    const reach = Math.floor((rows / all) * LM_HEAD_STEPS)
    while (reported < reach) {
      reported++
      step('lm-head', `LM head: ${rows}/${all} vocabulary rows`)
    }
  }) // (pos, vocab)
  return { logits, senses, contextualization }
}
