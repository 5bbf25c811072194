import { WorkbenchError } from '../../shared/errors'
import type { ApiHandlers } from '../../shared/ipc/api'
import { saveRun, type SaveRunContext } from '../runs/save-run'
import { compareExperiments } from '../store/compare-experiments'
import type { ExperimentRunner } from '../store/experiment-runner'
import { exportRunArrays } from '../store/export-run-arrays'
import { comparisonTables, renderComparison } from '../store/render-comparison'
import { senseEditEffects } from '../store/sense-edit-effects'
import type { ModelSession } from '../session/model-session'

type ExperimentMethods =
  | 'experiments.list'
  | 'experiments.get'
  | 'experiments.save'
  | 'experiments.saveRun'
  | 'experiments.update'
  | 'experiments.fork'
  | 'experiments.delete'
  | 'experiments.compare'
  | 'experiments.exportTable'
  | 'experiments.exportArrays'

export interface ExperimentContext extends SaveRunContext {
  /** the loaded model, or null: saving a prompt's run and re-running comparisons need one */
  session: () => ModelSession | null
  /** the runner over the handler table for the loaded model (every run kind), or undefined without one */
  runner: () => Promise<ExperimentRunner | undefined>
}

/** The experiment library over the store: list/search, save (with a run of any saveable method), fork, compare, export. */
export function experimentHandlers(ctx: ExperimentContext): Pick<ApiHandlers, ExperimentMethods> {
  const compare = async (ids: number[], diffOnly: boolean) => {
    const s = ctx.session()
    return compareExperiments(await ctx.store(), ids, {
      diffOnly,
      runner: await ctx.runner(),
      ...(s ? { editEffects: senseEditEffects(s.runner) } : {}),
    })
  }

  return {
    'experiments.list': async ({ search, tag, limit, offset }) =>
      (await ctx.store()).list({
        ...(search ? { search } : {}),
        ...(tag ? { tags: [tag] } : {}),
        limit,
        offset,
        sort: 'updated',
        order: 'desc',
      }),
    'experiments.get': async ({ id }) => (await ctx.store()).get(id),
    'experiments.save': async ({ name, notes, tags, edits, prompt }) => {
      const store = await ctx.store()
      const s = ctx.session()
      if (s) await store.recordCheckpoint(s.engine.contentHash, s.info.checkpointDir, { ...s.engine.config })
      const checkpoint = edits.checkpoint ?? s?.engine.contentHash ?? null
      const saved = await store.save({ name, notes, tags, edits: { ...edits, ...(checkpoint ? { checkpoint } : {}) } })
      if (prompt) {
        const r = await ctx.runner()
        if (!r)
          throw new WorkbenchError('unavailable', `experiment ${saved.id} was saved without its run: no model is loaded to run the prompt`)
        // the prompt's prediction, recorded by the predict recipe as every door records it
        await store.addRun(saved.id, await r.run({ kind: 'predict', inputs: { text: prompt }, settings: { topK: 10 } }, saved.edits))
      }
      return store.get(saved.id)
    },
    'experiments.saveRun': async (request) => saveRun(ctx, request),
    'experiments.update': async ({ id, ...patch }) => (await ctx.store()).update(id, patch),
    'experiments.fork': async ({ id, name }) => (await ctx.store()).fork(id, name ? { name } : {}),
    'experiments.delete': async ({ id }) => (await ctx.store()).delete(id),
    'experiments.compare': async ({ ids, diffOnly }) => {
      const comparison = await compare(ids, diffOnly)
      return { comparison, tables: comparisonTables(comparison) }
    },
    'experiments.exportTable': async ({ ids, diffOnly, format }) => ({
      format,
      text: renderComparison(await compare(ids, diffOnly), format),
    }),
    'experiments.exportArrays': async ({ runId }) => {
      const { fileName, bytes, index } = await exportRunArrays(await ctx.store(), runId)
      return { fileName, base64: Buffer.from(bytes).toString('base64'), index }
    },
  }
}
