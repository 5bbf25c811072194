import { WorkbenchError } from '../../shared/errors'
import type { ParsedSenseEdits } from '../../shared/edits/parse-sense-edits'
import type { InterventionRunner } from '../interventions/intervention-runner'
import { eventLoopYielder } from '../prediction/event-loop-yield'
import type { DocumentSums } from './evaluation-figures'
import { predictionWindows, tokenLogProb } from './prediction-windows'

/** A document as the model sees it: its name and token ids (at least 2). */
export interface TokenizedDocument {
  name: string
  ids: readonly number[]
}

export interface EvaluateProgress {
  documentsDone: number
  documents: number
  /** predicted tokens scored so far, and in all */
  tokensDone: number
  tokens: number
}

export interface CorpusEvaluation {
  documents: DocumentSums[]
  /** log p of every predicted token, documents in order (float64 values rounded to float32) */
  logProbs: Float32Array
  /** tokens per window: the model's n_positions */
  window: number
  edited: boolean
  timingsMs: { model: number; softmax: number; total: number }
}

/** How long the softmax loop may hold the event loop before it yields (serve and IPC answer meanwhile). */
const YIELD_MS = 20

/**
 * Per-token log-probs of documents under `edits` (null: the plain model), by the shared windowing
 * convention (prediction-windows.ts): each document on its own, in windows of at most n_positions
 * tokens overlapping by one, every token but the document's first predicted once, natural log,
 * softmax over the real tokens. Each document's sum is accumulated in float64 in token order.
 *
 * The windows of all documents run through the intervention runner one after the other, the next
 * window's forward pass already queued on the engine's worker while this thread takes the softmax
 * of the current one. Aborting `signal` stops at the next window or softmax slice (`cancelled`);
 * `onProgress` is called after each window.
 */
export async function evaluateCorpus(
  runner: InterventionRunner,
  documents: readonly TokenizedDocument[],
  edits: ParsedSenseEdits | null,
  options: { signal?: AbortSignal; onProgress?: (p: EvaluateProgress) => void } = {},
): Promise<CorpusEvaluation> {
  const { nPositions, vocabSize: V } = runner.engine.config
  const t0 = performance.now()
  documents.forEach((d, i) => {
    if (d.ids.length < 2)
      throw new WorkbenchError(
        'bad-request',
        `document ${i} (${JSON.stringify(d.name)}) has ${d.ids.length} token${d.ids.length === 1 ? '' : 's'}; at least 2 are needed (the first is never predicted)`,
      )
  })
  const windows = documents.flatMap((d, doc) => predictionWindows(d.ids.length, nPositions).map((w) => ({ doc, ...w })))
  const total = documents.reduce((s, d) => s + d.ids.length - 1, 0)
  const logProbs = new Float32Array(total)
  const sums = documents.map((d) => ({ name: d.name, tokens: d.ids.length, predicted: d.ids.length - 1, sumLogProb: 0 }))
  let at = 0 // predicted tokens scored
  const cancelled = () => new WorkbenchError('cancelled', `the evaluation was cancelled after ${at} of ${total} tokens`)
  const maybeYield = eventLoopYielder(YIELD_MS)
  let modelMs = 0
  let softmaxMs = 0
  const forward = (i: number) => {
    const { doc, start, end } = windows[i]
    const ids = documents[doc].ids.slice(start, end)
    const p = runner.run(ids, edits, { positions: ids.slice(0, -1).map((_, t) => t), signal: options.signal }) // logits (pos − 1, vocab)
    p.catch(() => {}) // awaited in turn; a failure after a cancel must not go unhandled
    return { ids, p }
  }
  let next = windows.length > 0 ? forward(0) : null
  for (let i = 0; i < windows.length; i++) {
    if (options.signal?.aborted) throw cancelled()
    const tm = performance.now()
    const { ids, p } = next as ReturnType<typeof forward>
    const { logits } = await p
    modelMs += performance.now() - tm
    next = i + 1 < windows.length ? forward(i + 1) : null
    const ts = performance.now()
    const sum = sums[windows[i].doc]
    for (let t = 1; t < ids.length; t++) {
      await maybeYield()
      if (options.signal?.aborted) throw cancelled()
      const lp = tokenLogProb(logits, t - 1, ids[t], V)
      sum.sumLogProb += lp
      logProbs[at++] = lp
    }
    softmaxMs += performance.now() - ts
    const documentsDone = windows[i + 1]?.doc ?? documents.length
    options.onProgress?.({ documentsDone, documents: documents.length, tokensDone: at, tokens: total })
  }
  return {
    documents: sums,
    logProbs,
    window: nPositions,
    edited: (edits?.edits.length ?? 0) > 0,
    timingsMs: { model: modelMs, softmax: softmaxMs, total: performance.now() - t0 },
  }
}
