import { WorkbenchError } from '../../shared/errors'
import { evaluateCorpus, type TokenizedDocument } from '../evaluation/evaluate-corpus'
import { evaluationResponse } from '../evaluation/evaluation-figures'
import type { ApiHandlers } from '../../shared/ipc/api'
import type { AnalysisContext } from './analysis-handlers'

/**
 * Most tokens one evaluation scores, all documents together: their log-probs travel back as
 * float32 (8 MB here), and the characters are bounded first so tokenizing stays bounded too.
 */
export const MAX_CORPUS_TOKENS = 2_000_000
export const MAX_CORPUS_CHARACTERS = 8_000_000

/**
 * `evaluate.run`: per-token log-probs and perplexity of named texts under the edits (docs/evaluation.md).
 * The texts are tokenized on the tokenizer worker, one document at a time; progress
 * (`run.progressed`, predicted tokens done of all) and cancellation (`run.cancel`) go by `runId`.
 */
export function evaluateHandler(ctx: AnalysisContext): Pick<ApiHandlers, 'evaluate.run'> {
  return {
    'evaluate.run': async ({ documents, edits, runId }) => {
      const s = ctx.session()
      const chars = documents.reduce((n, d) => n + d.text.length, 0)
      if (chars > MAX_CORPUS_CHARACTERS)
        throw new WorkbenchError(
          'too-long',
          `the documents have ${chars} characters in all; one evaluation takes at most ${MAX_CORPUS_CHARACTERS} (split the corpus)`,
        )
      const parsed = edits && edits.edits.length > 0 ? await s.parseEdits(edits) : null
      const run = ctx.track(runId)
      try {
        const t0 = performance.now()
        const tokenized: TokenizedDocument[] = []
        let budget = MAX_CORPUS_TOKENS
        for (const [i, d] of documents.entries()) {
          if (run.signal.aborted) throw new WorkbenchError('cancelled', `the evaluation was cancelled while tokenizing document ${i}`)
          const ids = await ctx.tokenizer.promptIds(d.text, budget, `document ${i} (${JSON.stringify(d.name)})`).catch((e: unknown) => {
            if (e instanceof WorkbenchError && e.code === 'too-long') {
              throw new WorkbenchError(
                'too-long',
                `the documents have more than ${MAX_CORPUS_TOKENS} tokens in all (reached at document ${i}, ${JSON.stringify(d.name)}); one evaluation takes at most ${MAX_CORPUS_TOKENS} (split the corpus)`,
                { cause: e },
              )
            }
            throw e
          })
          budget -= ids.length
          tokenized.push({ name: d.name, ids })
        }
        const tokenizeMs = performance.now() - t0
        const r = await evaluateCorpus(s.runner, tokenized, parsed, {
          signal: run.signal,
          onProgress: (p) => {
            if (runId)
              ctx.events.emit('run.progressed', {
                runId,
                method: 'evaluate.run',
                done: p.tokensDone,
                total: p.tokens,
                message: `${p.documentsDone}/${p.documents} documents`,
              })
          },
        })
        return evaluationResponse(r.documents, r.window, r.logProbs, r.edited, {
          tokenize: tokenizeMs,
          ...r.timingsMs,
          total: performance.now() - t0,
        })
      } finally {
        run.done()
      }
    },
  }
}
