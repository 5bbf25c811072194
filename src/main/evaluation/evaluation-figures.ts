import { WorkbenchError } from '../../shared/errors'
import type { EvaluateResponse, EvaluationFigures } from '../../shared/ipc/api-types'
import { blobToBuffer, bufferToBlob } from '../npy/blob-codec'

/** What a document's evaluation adds up to before any figure is derived: counts and the float64 sum. */
export interface DocumentSums {
  name: string
  /** the document's tokens */
  tokens: number
  /** tokens scored (tokens − 1: every token but the first) */
  predicted: number
  /** Σ log p over the predicted tokens, natural log, summed in float64 in token order */
  sumLogProb: number
}

/** The figures of a span from its counts and sum: mean = sum / predicted, perplexity = exp(−mean). */
export function figuresOf(tokens: number, predicted: number, sumLogProb: number): EvaluationFigures {
  const meanLogProb = sumLogProb / predicted
  return { tokens, predicted, sumLogProb, meanLogProb, perplexity: Math.exp(-meanLogProb) }
}

/**
 * The response of an evaluation from its per-document sums, in document order. The pooled sum
 * is Σ of the documents' sums in that order (not a running sum over tokens), so the same
 * documents evaluated in any number of chunks and merged give bit-identical figures.
 */
export function evaluationResponse(
  documents: readonly DocumentSums[],
  window: number,
  logProbs: Float32Array,
  edited: boolean,
  timingsMs: Record<string, number>,
): EvaluateResponse {
  let tokens = 0
  let predicted = 0
  let sum = 0
  for (const d of documents) {
    tokens += d.tokens
    predicted += d.predicted
    sum += d.sumLogProb
  }
  if (predicted !== logProbs.length)
    throw new WorkbenchError('internal', `the documents predict ${predicted} tokens but ${logProbs.length} log-probs were given`)
  return {
    documents: documents.map((d) => ({ name: d.name, ...figuresOf(d.tokens, d.predicted, d.sumLogProb) })),
    total: { documents: documents.length, ...figuresOf(tokens, predicted, sum) },
    window,
    logProbs: blobToBuffer(logProbs).toString('base64'),
    edited,
    timingsMs,
  }
}

/** The per-token log-probs of a response (float32, documents in order). */
export function decodeLogProbs(response: Pick<EvaluateResponse, 'logProbs'>): Float32Array {
  return bufferToBlob('float32', Buffer.from(response.logProbs, 'base64'), 'evaluate logProbs') as Float32Array
}

/**
 * Merges the evaluations of consecutive chunks of one corpus into the response a single run
 * over the whole corpus gives.
 *
 * Contract:
 * - `chunks` are `evaluate.run` responses (or anything of that shape) for disjoint, consecutive
 *   runs of the corpus's documents, given in corpus order: chunk 0 holds documents 0..a−1,
 *   chunk 1 documents a..b−1, and so on. Each chunk was run on the same checkpoint, under the
 *   same edits, with the same window (checked: `window` and `edited` must agree, else `bad-request`).
 * - Only the per-document `tokens`, `predicted` and `sumLogProb` and the chunk's `logProbs` are
 *   read; every mean, perplexity and the pooled total are derived again from them exactly as a
 *   local run derives them (evaluationResponse), so the merged figures are bit-identical to the
 *   local run's whatever the chunking. A chunk whose logProbs do not hold Σ predicted values is
 *   refused (`bad-request`).
 * - `timingsMs` of the merge holds each timing summed over the chunks (work time, not wall time).
 * - At least one chunk; an empty chunk list is a `bad-request`.
 */
export function mergeEvaluations(chunks: readonly EvaluateResponse[]): EvaluateResponse {
  if (chunks.length === 0) throw new WorkbenchError('bad-request', 'no evaluation chunks to merge')
  const { window, edited } = chunks[0]
  const documents: DocumentSums[] = []
  const parts: Float32Array[] = []
  const timingsMs: Record<string, number> = {}
  chunks.forEach((c, i) => {
    if (c.window !== window || c.edited !== edited) {
      throw new WorkbenchError(
        'bad-request',
        `evaluation chunk ${i} has window ${c.window} and edited ${c.edited}; chunk 0 has window ${window} and edited ${edited}: chunks of one corpus share the model and the edits`,
      )
    }
    const lp = decodeLogProbs(c)
    const predicted = c.documents.reduce((s, d) => s + d.predicted, 0)
    if (lp.length !== predicted)
      throw new WorkbenchError('bad-request', `evaluation chunk ${i} predicts ${predicted} tokens but carries ${lp.length} log-probs`)
    for (const d of c.documents) documents.push({ name: d.name, tokens: d.tokens, predicted: d.predicted, sumLogProb: d.sumLogProb })
    parts.push(lp)
    for (const [k, v] of Object.entries(c.timingsMs)) timingsMs[k] = (timingsMs[k] ?? 0) + v
  })
  const logProbs = new Float32Array(parts.reduce((s, p) => s + p.length, 0))
  let at = 0
  for (const p of parts) {
    logProbs.set(p, at)
    at += p.length
  }
  return evaluationResponse(documents, window, logProbs, edited, timingsMs)
}
