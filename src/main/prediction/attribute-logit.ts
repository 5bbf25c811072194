import type { ParsedSenseEdits } from '../../shared/edits/parse-sense-edits'
import { WorkbenchError } from '../../shared/errors'
import type { InterventionRunner, RunCallOptions } from '../interventions/intervention-runner'
import { gpt2Tokenizer } from '../tokenizer/gpt2-tokenizer'

export interface Contribution {
  position: number // source position j
  tokenId: number
  text: string
  sense: number
  value: number // α̃[sense, q, j] · (E·C̃(x_j)_sense)[target]
}

export interface Attribution {
  position: number // query position q (its logits predict the token after q)
  target: { id: number; text: string }
  /** the model's logit for the target at q (after edits, when given), from engine.combine */
  logit: number
  /** Σ contributions, in float64: equals `logit` up to float rounding */
  total: number
  /** every (position, sense) pair with j ≤ q, largest |value| first */
  contributions: Contribution[]
  /** contributions summed by (token id, sense) across positions, largest |value| first */
  byTokenSense: { tokenId: number; text: string; sense: number; value: number; positions: number[] }[]
  edited: boolean
}

/**
 * The exact decomposition of one logit (backpack-spec.md §3.6, the authors' `localize_pred.py`):
 * logit_q[v] = Σ_ℓ Σ_{j≤q} α^ℓ_qj · (E_v · C(x_j)_ℓ). Under edits the same identity holds with the
 * edited α̃ and senses C̃ (vector edits and the topic multiplier folded into C̃), because the
 * runner feeds exactly those to the combination.
 */
export async function attributeLogit(
  runner: InterventionRunner,
  ids: readonly number[],
  position: number,
  target: number,
  edits: ParsedSenseEdits | null = null,
  call: RunCallOptions = {},
): Promise<Attribution> {
  const { vocabSize: V, numSenses: k, nEmbd: d } = runner.engine.config
  const n = ids.length
  if (!Number.isInteger(position) || position < 0 || position >= n)
    throw new WorkbenchError('bad-request', `position ${position} is outside the prompt [0, ${n})`)
  if (!Number.isInteger(target) || target < 0 || target >= V)
    throw new WorkbenchError('bad-request', `target token ${target} is outside the vocabulary [0, ${V})`)
  const out = await runner.run(ids, edits, { positions: [position], signal: call.signal, onTableProgress: call.onTableProgress })
  const [e] = await runner.embedding([target])
  const tok = gpt2Tokenizer()
  const contributions: Contribution[] = []
  let total = 0
  for (let l = 0; l < k; l++) {
    for (let j = 0; j <= position; j++) {
      const a = out.contextualization[(l * n + position) * n + j]
      let s = 0
      const off = (l * n + j) * d
      for (let c = 0; c < d; c++) s += e[c] * out.senses[off + c]
      const value = a * s
      total += value
      contributions.push({ position: j, tokenId: ids[j], text: tok.tokenText(ids[j]), sense: l, value })
    }
  }
  contributions.sort((x, y) => Math.abs(y.value) - Math.abs(x.value))
  const groups = new Map<string, Attribution['byTokenSense'][number]>()
  for (const c of contributions) {
    const key = `${c.tokenId}|${c.sense}`
    const g = groups.get(key) ?? { tokenId: c.tokenId, text: c.text, sense: c.sense, value: 0, positions: [] }
    g.value += c.value
    g.positions.push(c.position)
    groups.set(key, g)
  }
  for (const g of groups.values()) g.positions.sort((x, y) => x - y)
  return {
    position,
    target: { id: target, text: tok.tokenText(target) },
    logit: out.logits[target],
    total,
    contributions,
    byTokenSense: [...groups.values()].sort((x, y) => Math.abs(y.value) - Math.abs(x.value)),
    edited: out.edited,
  }
}
