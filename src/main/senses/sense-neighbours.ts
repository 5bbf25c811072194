import { WorkbenchError } from '../../shared/errors'
import type { TiedGroupInfo } from '../../shared/ipc/api-types'
import type { BackpackEngine } from '../runtime/backpack-engine'
import { textVocabSize, topKIndices } from '../math/top-k'
import { gpt2Tokenizer } from '../tokenizer/gpt2-tokenizer'
import { combineWordSenses, resolveWord, type ResolvedWord, type WordPolicy } from './resolve-word'
import type { SenseTable } from './sense-table'
import { maskHidden } from './collapse-ties'
import type { TiesOption } from './sense-atlas'
import { tokenSenses } from './token-senses'

export interface Neighbour {
  id: number
  text: string
  score: number
  /** Sim_ℓ for every sense (only for the 'min' measure) */
  perSense?: number[]
  /** on a collapsed entry: the tied group it stands for */
  tied?: TiedGroupInfo
}

export interface Neighbours extends ResolvedWord {
  /** Sim_ℓ of one sense ℓ, or Sim_min = min over ℓ of Sim_ℓ (the code's MinPair) */
  measure: 'min' | number
  neighbours: Neighbour[]
  timingsMs: Record<string, number>
}

/**
 * Nearest tokens over the whole vocabulary by sense cosine (backpack-spec.md §4.2):
 * Sim_ℓ(x, x′) = cos(C(x)_ℓ, C(x′)_ℓ) and Sim_min(x, x′) = min_ℓ Sim_ℓ(x, x′). The query's
 * vectors are exact (fp32, from the engine); candidates come from the whole-vocabulary table
 * (fp16 by default: cosines within ~1e-3). Padding ids and the word's own tokens are excluded.
 */
export async function senseNeighbours(
  engine: BackpackEngine,
  table: SenseTable,
  word: string,
  options: { measure?: 'min' | number; top?: number; policy?: WordPolicy; rawSpacing?: boolean; ties?: TiesOption } = {},
): Promise<Neighbours> {
  const { vocabSize: V, numSenses: k, nEmbd: d } = engine.config
  const measure = options.measure ?? 'min'
  if (measure !== 'min' && (!Number.isInteger(measure) || measure < 0 || measure >= k)) {
    throw new WorkbenchError('bad-request', `sense ${measure} is out of range: senses are integers in [0, ${k})`)
  }
  const top = options.top ?? 10
  if (!Number.isInteger(top) || top < 1 || top > 1000)
    throw new WorkbenchError('bad-request', `top must be an integer in [1, 1000], got ${top}`)
  const t0 = performance.now()
  const resolved = resolveWord(word, V, options)
  const q = combineWordSenses(await tokenSenses(engine, resolved.used)) // (sense, d_model)
  const textV = textVocabSize(V)
  const senses = measure === 'min' ? Array.from({ length: k }, (_, l) => l) : [measure]
  const perSense = senses.map((l) => table.cosineAll(q.subarray(l * d, (l + 1) * d), l, textV)) // each (vocab)
  const score = measure === 'min' ? new Float32Array(V).fill(Number.NaN) : perSense[0]
  if (measure === 'min') {
    for (let x = 0; x < textV; x++) {
      let m = Infinity
      for (const s of perSense) if (s[x] < m) m = s[x]
      score[x] = m
    }
  }
  for (const t of resolved.tokens) score[t.id] = Number.NaN
  // collapsed: a tied group's members after its first are left out (their scores are the first's)
  const tied = options.ties?.mode === 'collapse' ? options.ties.tied : null
  if (tied) maskHidden(score, tied)
  const tok = gpt2Tokenizer()
  const neighbours = topKIndices(score, 0, textV, top).map((id) => {
    const info = tied?.info(id)
    return {
      id,
      text: tok.tokenText(id),
      score: score[id],
      ...(measure === 'min' ? { perSense: perSense.map((s) => s[id]) } : {}),
      ...(info ? { tied: info } : {}),
    }
  })
  return { ...resolved, measure, neighbours, timingsMs: { total: performance.now() - t0 } }
}
