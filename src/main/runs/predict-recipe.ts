import type { PredictResponse } from '../../shared/ipc/api-types'
import type { NewRun } from '../../shared/store/experiment-types'
import type { RunRecipe } from './run-recipe'

type PredictionFields = Pick<PredictResponse, 'next' | 'logProbs' | 'timingsMs'> & { tokens: { id: number; text: string }[] }

/**
 * `predict.next` → a `predict` run: inputs { text?, ids }, settings { topK }; outputs the prompt's
 * tokens, the next-token top-k (with logits) and the per-token log-probs (with ranks); metrics
 * top1Prob, meanLogProb and perplexity; the per-token log-probs also as a float32 blob.
 */
export const predictRecipe: RunRecipe<'predict.next'> = {
  method: 'predict.next',
  kind: 'predict',
  matches: (spec) => spec.kind === 'predict',
  spec: (r) => ({ kind: 'predict', inputs: r.ids !== undefined ? { ids: r.ids } : { text: r.text }, settings: { topK: r.topK } }),
  request(spec) {
    const { text, ids } = spec.inputs
    const topK = spec.settings.topK ?? 10
    return typeof text === 'string' ? { text, topK } : { ids, topK }
  },
  record: (_request, response) => ({ inputs: { ids: response.tokens.map((t) => t.id) }, ...predictRecord(response) }),
}

/** The stored outputs, metrics, blob and timings of one prediction (every door's predict runs). */
export function predictRecord(p: PredictionFields): Pick<NewRun, 'outputs' | 'metrics' | 'blobs' | 'timingsMs'> {
  // JSON carries a padding id's -Infinity log-prob as null: read back as -Infinity
  const values = p.logProbs.map((l) => l.logProb ?? -Infinity)
  const lps = Float32Array.from(values) // (pos - 1)
  const finite = values.filter(Number.isFinite)
  const meanLogProb = finite.length ? finite.reduce((a, b) => a + b, 0) / finite.length : 0
  return {
    outputs: {
      tokens: p.tokens.map(({ id, text }) => ({ id, text })),
      topk: p.next.map(({ id, text, prob, logit }) => ({ id, token: text, prob, logit })),
      logProbs: p.logProbs.map(({ position, id, text, rank }, i) => ({ position, id, token: text, logProb: values[i], rank })),
    },
    metrics: {
      top1Prob: p.next[0]?.prob ?? 0,
      ...(finite.length ? { meanLogProb, perplexity: Math.exp(-meanLogProb) } : {}),
    },
    blobs: { logProbs: { dtype: 'float32', shape: [lps.length], data: lps } },
    timingsMs: { ...p.timingsMs },
  }
}
