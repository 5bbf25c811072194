import type { ParsedSenseEdits } from '../../shared/edits/parse-sense-edits'
import { WorkbenchError } from '../../shared/errors'
import type { InterventionRunner, RunCallOptions } from '../interventions/intervention-runner'
import { gpt2Tokenizer } from '../tokenizer/gpt2-tokenizer'
import { eventLoopYielder } from './event-loop-yield'
import { logSumExp, textVocabSize, topKIndices, topKWithCountAbove } from '../math/top-k'

export interface ScoredToken {
  id: number
  text: string
  logit: number
  prob: number
}

export interface TokenLogProb {
  position: number // index of this token in the prompt (≥ 1)
  id: number
  text: string
  logProb: number // log p(token | prefix), padding ids excluded from the softmax
  rank: number // 1 = the model's top choice
  alternatives: ScoredToken[] // top-k at this position
}

export interface Prediction {
  tokens: { id: number; text: string }[]
  /** next-token top-k after the whole prompt */
  next: ScoredToken[]
  logProbs: TokenLogProb[]
  edited: boolean
  timingsMs: Record<string, number>
}

/**
 * Next-token top-k and per-token log-probs of a prompt, optionally under sense edits. The
 * softmax runs over the real tokens only: the padding rows 50257..50263 get logits but are
 * masked (backpack-spec.md §7.1), as the authors' evaluation does by slicing to 50257.
 * The per-position softmax, rank and top-k scan the whole vocabulary (two passes, one of them
 * 50,257 calls of Math.exp: ~0.75 ms per position at full size once warm, 0.38 s for 512
 * positions) on the calling thread, so the loop yields to the event loop every YIELD_MS: other
 * IPC or serve requests are answered in between instead of waiting for it.
 */
const YIELD_MS = 20

export async function predictTokens(
  runner: InterventionRunner,
  ids: readonly number[],
  options: { top?: number; edits?: ParsedSenseEdits | null } & RunCallOptions = {},
): Promise<Prediction> {
  const top = options.top ?? 10
  if (!Number.isInteger(top) || top < 1) throw new WorkbenchError('bad-request', `top must be a positive integer, got ${top}`)
  const V = runner.engine.config.vocabSize
  const n = ids.length
  const out = await runner.run(ids, options.edits ?? null, { signal: options.signal, onTableProgress: options.onTableProgress })
  const t0 = performance.now()
  const textV = textVocabSize(V)
  const tok = gpt2Tokenizer()
  const scored = (row: number, topIds: number[], lse: number): ScoredToken[] =>
    topIds.map((id) => ({
      id,
      text: tok.tokenText(id),
      logit: out.logits[row * V + id],
      prob: Math.exp(out.logits[row * V + id] - lse),
    }))
  // the top-k's first is the row's largest logit: logSumExp needs no pass of its own to find it
  const maxOf = (row: number, topIds: number[]) => (topIds.length > 0 ? out.logits[row * V + topIds[0]] : -Infinity)
  const logProbs: TokenLogProb[] = []
  const maybeYield = eventLoopYielder(YIELD_MS)
  for (let i = 1; i < n; i++) {
    await maybeYield()
    const row = i - 1
    const id = ids[i]
    const logit = out.logits[row * V + id]
    // the top-k and the rank's count in one pass, then the exp pass (~0.6 ms per row at full size)
    const { top: topIds, above } = topKWithCountAbove(out.logits, row * V, textV, top, logit)
    const lse = logSumExp(out.logits, row * V, textV, maxOf(row, topIds))
    logProbs.push({
      position: i,
      id,
      text: tok.tokenText(id),
      logProb: id < textV ? logit - lse : -Infinity,
      rank: 1 + above,
      alternatives: scored(row, topIds, lse),
    })
  }
  const nextIds = topKIndices(out.logits, (n - 1) * V, textV, top)
  const next = scored(n - 1, nextIds, logSumExp(out.logits, (n - 1) * V, textV, maxOf(n - 1, nextIds)))
  return {
    tokens: ids.map((id) => ({ id, text: tok.tokenText(id) })),
    next,
    logProbs,
    edited: out.edited,
    timingsMs: { ...out.timingsMs, softmax: performance.now() - t0 },
  }
}
