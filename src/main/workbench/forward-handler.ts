import type { ApiHandlers } from '../../shared/ipc/api'
import type { ForwardResponse } from '../../shared/ipc/api-types'
import { editTieWarnings } from '../senses/edit-tie-warnings'
import type { AnalysisContext } from './analysis-handlers'
import { resolvePromptIds } from './resolve-prompt'

/**
 * `predict.forward`: the full pass over a prompt (under a sense-edit document when given), its
 * three outputs answered as Float32Array — in-process callers (the CLI's `forward`) get the
 * engine's arrays without a copy (they may be the session's cached ones: read them, never write);
 * Electron IPC clones them, serve's JSON carries them as base64 (typed-array-json.ts).
 */
export function forwardHandler(ctx: AnalysisContext): Pick<ApiHandlers, 'predict.forward'> {
  return {
    'predict.forward': async ({ text, ids: given, edits, truncate }): Promise<ForwardResponse> => {
      const s = ctx.session()
      const prompt = await resolvePromptIds(s, ctx.tokenizer, { text, ids: given }, { truncate })
      const { ids } = prompt
      const parsed = edits !== undefined ? await s.parseEdits(edits) : null
      const warnings = parsed ? editTieWarnings(parsed.edits, await s.tiedTokens()) : []
      const t0 = performance.now()
      // an edit document, even an empty one, runs through the runner (as edits of the app do);
      // without one, the engine's own pass
      const pass = parsed ? s.runner.run(ids, parsed) : s.engine.forward(ids)
      const out = await pass
      const timingsMs = { ...out.timingsMs, total: performance.now() - t0 }
      const { numSenses: k, nEmbd: d, vocabSize: V } = s.engine.config
      const T = ids.length
      const { name, requested, available, reason } = s.engine.provider
      return {
        ids,
        ...(prompt.truncatedFrom !== undefined ? { truncatedFrom: prompt.truncatedFrom } : {}),
        shapes: { logits: [T, V], senses: [k, T, d], contextualization: [k, T, T] },
        logits: out.logits,
        senses: out.senses,
        contextualization: out.contextualization,
        provider: { name, requested, available: [...available], ...(reason ? { reason } : {}) },
        contentHash: s.engine.contentHash,
        ...(parsed ? { edits: parsed.document } : {}),
        ...(warnings.length > 0 ? { warnings } : {}),
        timingsMs,
      }
    },
  }
}
