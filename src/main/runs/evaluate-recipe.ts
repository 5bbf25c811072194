import { createHash } from 'node:crypto'
import { WorkbenchError } from '../../shared/errors'
import type { RunSpec } from '../../shared/store/experiment-types'
import { decodeLogProbs } from '../evaluation/evaluation-figures'
import type { RunRecipe } from './run-recipe'

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex')

/**
 * `evaluate.run` ↔ an `evaluate` run. Stored shape:
 * - inputs: `{ documents: [{ name, text, sha256 }] }` — the texts themselves (a run must be
 *   reproducible from the database alone) and the sha256 (hex, of the UTF-8 text) each, checked
 *   when the run is turned back into a request;
 * - settings: `{ window: 'n_positions' }` — the windowing (windows of the model's n_positions
 *   tokens overlapping by one; the number itself is outputs.window);
 * - outputs: the response without `logProbs` and `timingsMs` (documents, total, window, edited);
 * - blobs: `logProbs` float32 (predicted) — every predicted token's log p, documents in order —
 *   and `documentOffsets` int32 (documents + 1) — where each document's log-probs start in it,
 *   then the total;
 * - metrics: perplexity, meanLogProb and predictedTokens of the whole corpus; timings as measured.
 */
export const evaluateRecipe: RunRecipe<'evaluate.run'> = {
  method: 'evaluate.run',
  kind: 'evaluate',
  matches: (spec) => spec.kind === 'evaluate',
  spec: (request) => ({
    kind: 'evaluate',
    inputs: { documents: request.documents.map(({ name, text }) => ({ name, text, sha256: sha256(text) })) },
    settings: { window: 'n_positions' },
  }),
  request(spec: RunSpec) {
    const docs = spec.inputs.documents
    if (!Array.isArray(docs)) throw new WorkbenchError('bad-request', 'the evaluate run has no inputs.documents list')
    return {
      documents: docs.map((d: unknown, i) => {
        const { name, text, sha256: hash } = (d ?? {}) as Record<string, unknown>
        if (typeof name !== 'string' || typeof text !== 'string' || typeof hash !== 'string')
          throw new WorkbenchError('bad-request', `inputs.documents[${i}] of the evaluate run needs a name, a text and a sha256`)
        if (sha256(text) !== hash)
          throw new WorkbenchError(
            'store-corrupt',
            `inputs.documents[${i}] (${JSON.stringify(name)}) of the evaluate run does not match its sha256 ${hash}: the stored text was altered`,
          )
        return { name, text }
      }),
    }
  },
  record(_request, response) {
    const { logProbs: _encoded, timingsMs, ...outputs } = response
    const logProbs = decodeLogProbs(response)
    const offsets = new Int32Array(response.documents.length + 1)
    response.documents.forEach((d, i) => (offsets[i + 1] = offsets[i] + d.predicted))
    return {
      outputs: { ...outputs },
      metrics: {
        perplexity: response.total.perplexity,
        meanLogProb: response.total.meanLogProb,
        predictedTokens: response.total.predicted,
      },
      blobs: {
        logProbs: { dtype: 'float32', shape: [logProbs.length], data: logProbs },
        documentOffsets: { dtype: 'int32', shape: [offsets.length], data: offsets },
      },
      timingsMs: { ...timingsMs },
    }
  },
}
