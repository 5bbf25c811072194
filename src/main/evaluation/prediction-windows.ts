import { logSumExp, textVocabSize } from '../math/top-k'

/**
 * The one scoring convention of the workbench (corpus evaluation, the fine-tuning background
 * NLL, the suites' perplexities): a text of n tokens is cut into windows [start, end) of at most
 * nPositions tokens that overlap by one token; in each window every token but the first is
 * predicted from the tokens before it in that window, so every token but the text's very first
 * is predicted exactly once. No token is added (no BOS). Rows 0..len−2 of a window's logits
 * predict its tokens 1..len−1.
 */
export function predictionWindows(nTokens: number, nPositions: number): { start: number; end: number }[] {
  const out: { start: number; end: number }[] = []
  for (let start = 0; start + 1 < nTokens; start += nPositions - 1) out.push({ start, end: Math.min(nTokens, start + nPositions) })
  return out
}

/**
 * log p(y | row) in nats: the softmax over the real tokens (padding ids ≥ 50257 masked), in
 * float64 from the float32 logits; −Infinity for a padding id y. logits: (rows, vocab).
 */
export function tokenLogProb(logits: ArrayLike<number>, row: number, y: number, vocabSize: number): number {
  const textV = textVocabSize(vocabSize)
  return y < textV ? logits[row * vocabSize + y] - logSumExp(logits, row * vocabSize, textV) : -Infinity
}
