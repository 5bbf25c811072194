import type { ParsedSenseEdits } from '../../shared/edits/parse-sense-edits'
import type { InterventionRunner } from '../interventions/intervention-runner'
import { eventLoopYielder } from '../prediction/event-loop-yield'
import { predictionWindows, tokenLogProb } from '../evaluation/prediction-windows'
import { logSumExp, textVocabSize } from '../math/top-k'

/**
 * Each position's softmax scans the whole vocabulary (~4 ms at full size): the loops below return
 * to the event loop every YIELD_MS so that serve and IPC answer other requests meanwhile.
 */
export const YIELD_MS = 20

/**
 * Log-probabilities log p(x_i | x_<i) for i = 1..n−1 under edits (softmax over the real tokens,
 * padding ids masked); texts longer than the model's n_positions are scored in consecutive
 * windows, each window's first token serving as context only.
 */
export async function tokenLogProbs(runner: InterventionRunner, ids: readonly number[], edits: ParsedSenseEdits | null): Promise<number[]> {
  const { vocabSize: V, nPositions } = runner.engine.config
  const out: number[] = []
  const maybeYield = eventLoopYielder(YIELD_MS)
  for (const { start, end } of predictionWindows(ids.length, nPositions)) {
    const window = ids.slice(start, end)
    const { logits } = await runner.run(window, edits, { positions: window.slice(0, -1).map((_, i) => i) }) // (pos, vocab)
    for (let i = 1; i < window.length; i++) {
      await maybeYield()
      out.push(tokenLogProb(logits, i - 1, window[i], V))
    }
  }
  return out
}

/** exp(−mean log p); NaN for no tokens. */
export function perplexity(logProbs: readonly number[]): number {
  if (logProbs.length === 0) return Number.NaN
  return Math.exp(-logProbs.reduce((s, x) => s + x, 0) / logProbs.length)
}

/**
 * Mean over the prompt's positions of KL(P ‖ Q) between the next-token distributions under
 * `editsP` and `editsQ` (nats; real tokens only).
 */
export async function meanNextTokenKl(
  runner: InterventionRunner,
  ids: readonly number[],
  editsP: ParsedSenseEdits | null,
  editsQ: ParsedSenseEdits | null,
): Promise<number> {
  const V = runner.engine.config.vocabSize
  const textV = textVocabSize(V)
  const p = (await runner.run(ids, editsP)).logits // (pos, vocab)
  const q = (await runner.run(ids, editsQ)).logits
  let total = 0
  const maybeYield = eventLoopYielder(YIELD_MS)
  for (let i = 0; i < ids.length; i++) {
    await maybeYield()
    total += nextTokenKl(p, q, i * V, textV)
  }
  return total / ids.length
}

/**
 * KL(P ‖ Q) in nats between the softmaxes of the logit rows p[row .. row+textV) and
 * q[row .. row+textV) (real tokens only), clamped at 0 against rounding.
 */
export function nextTokenKl(
  p: ArrayLike<number>,
  q: ArrayLike<number>,
  row: number,
  textV: number,
  lp = logSumExp(p, row, textV),
  lq = logSumExp(q, row, textV),
): number {
  let kl = 0
  for (let v = 0; v < textV; v++) {
    const a = p[row + v] - lp
    kl += Math.exp(a) * (a - (q[row + v] - lq))
  }
  return Math.max(0, kl)
}
