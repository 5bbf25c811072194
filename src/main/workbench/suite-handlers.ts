import type { ApiHandlers } from '../ipc/create-dispatcher'
import { genderBiasSuite } from '../suites/gender-bias-suite'
import type { AnalysisContext } from './analysis-handlers'

/** The paper's experiments as suites, run on top of the user's edits, with progress and cancel. */
export function suiteHandlers(ctx: AnalysisContext): Pick<ApiHandlers, 'suites.genderBias'> {
  return {
    'suites.genderBias': async ({ sense, optimize, edits, runId }) => {
      const s = ctx.session()
      const run = ctx.track(runId)
      try {
        const r = await genderBiasSuite(s.engine, {
          ...(sense !== undefined ? { sense } : {}),
          optimize,
          edits: edits && edits.edits.length > 0 ? s.parseEdits(edits) : null,
          runner: s.runner,
          signal: run.signal,
          onProgress: (p) => {
            if (runId) ctx.events.emit('run.progressed', { runId, method: 'suites.genderBias', done: p.done, total: p.total, message: p.profession })
          },
        })
        return {
          sense: r.sense,
          professions: r.professions,
          prompts: r.prompts,
          settings: r.settings,
          perProfession: r.perProfession.map(({ profession, token, unmodified, removeSense, optimizeSense, w }) => ({
            profession,
            token,
            unmodified,
            removeSense,
            ...(optimizeSense !== undefined ? { optimizeSense } : {}),
            ...(w !== undefined ? { w } : {}),
          })),
          edited: r.edited,
        }
      } finally {
        run.done()
      }
    },
  }
}
