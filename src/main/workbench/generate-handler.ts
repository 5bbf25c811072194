import type { ParsedSenseEdits } from '../../shared/edits/parse-sense-edits'
import type { GenerationView } from '../../shared/ipc/api-types'
import { generate, type GenerateOptions, type GenerationResult } from '../generation/generate'
import type { ApiHandlers } from '../../shared/ipc/api'
import { gpt2Tokenizer } from '../tokenizer/gpt2-tokenizer'
import type { AnalysisContext } from './analysis-handlers'
import { resolvePrompt } from './resolve-prompt'

/**
 * `generate.run`: the baseline continuation and, when edits are given, the edited one with the
 * same settings and seed (each with its own identically seeded generator), one after the other.
 * Every token carries its dominant (source token, sense); progress goes out as run.progressed.
 */
export function generateHandler(ctx: AnalysisContext): Pick<ApiHandlers, 'generate.run'> {
  return {
    'generate.run': async ({
      text,
      ids: given,
      maxNewTokens,
      strategy,
      temperature,
      topK,
      topP,
      seed,
      speculate,
      recompute,
      attribute,
      edits,
      runId,
    }) => {
      const s = ctx.session()
      const { ids, text: prompt } = await resolvePrompt(s, ctx.tokenizer, { text, ids: given })
      const parsed: ParsedSenseEdits | null = edits && edits.edits.length > 0 ? await s.parseEdits(edits) : null
      const run = ctx.track(runId)
      const passes = parsed ? 2 : 1
      let done = 0
      const settings =
        strategy === 'sample'
          ? { strategy, maxNewTokens, temperature: temperature ?? 1, topK, topP, seed: seed ?? 0 }
          : { strategy, maxNewTokens }
      const speed = { ...(speculate !== undefined ? { speculate } : {}), ...(recompute !== undefined ? { recompute } : {}) }
      const options: GenerateOptions = { ids, ...settings, ...speed, attribute: attribute ?? true, runner: s.runner, signal: run.signal }
      const progress = () => {
        done++
        if (runId) ctx.events.emit('run.progressed', { runId, method: 'generate.run', done, total: passes * maxNewTokens })
      }
      try {
        const baseline = await generate(s.engine, { ...options, edits: null, onToken: progress })
        done = maxNewTokens
        const edited = parsed ? await generate(s.engine, { ...options, edits: parsed, onToken: progress }) : null
        let firstDifference: number | null = null
        if (edited) {
          const n = Math.max(baseline.ids.length, edited.ids.length)
          for (let i = 0; i < n && firstDifference === null; i++) if (baseline.ids[i] !== edited.ids[i]) firstDifference = i
        }
        return {
          prompt,
          settings,
          baseline: view(baseline),
          edited: edited ? view(edited) : null,
          firstDifference,
          contentHash: s.engine.contentHash,
        }
      } finally {
        run.done()
      }
    },
  }
}

function view(r: GenerationResult): GenerationView {
  const tok = gpt2Tokenizer()
  return {
    text: r.text,
    stopReason: r.stopReason,
    edited: r.edited,
    tokensPerSecond: r.tokensPerSecond,
    promptIds: r.promptIds,
    ids: r.ids,
    decoding: r.decoding,
    recompute: r.recompute,
    speculation: r.speculation,
    timingsMs: r.timingsMs,
    tokens: r.tokens.map((t) => ({
      position: t.position,
      id: t.id,
      text: t.text,
      logProb: t.logProb,
      ...(t.dominant
        ? {
            dominant: {
              tokenId: t.dominant.tokenId,
              text: tok.tokenText(t.dominant.tokenId),
              sense: t.dominant.sense,
              share: t.dominant.share,
            },
          }
        : {}),
    })),
  }
}
