import { WorkbenchError } from '../../shared/errors'
import type { ApiHandlers } from './create-dispatcher'
import { compareExperiments } from '../store/compare-experiments'
import type { ExperimentStore } from '../store/experiment-store'
import { exportRunArrays } from '../store/export-run-arrays'
import { comparisonTables, renderComparison } from '../store/render-comparison'
import { senseEditEffects } from '../store/sense-edit-effects'
import type { ModelSession } from '../session/model-session'
import { predictRunner } from './predict-runner'

type ExperimentMethods =
  | 'experiments.list'
  | 'experiments.get'
  | 'experiments.save'
  | 'experiments.update'
  | 'experiments.fork'
  | 'experiments.delete'
  | 'experiments.compare'
  | 'experiments.exportTable'
  | 'experiments.exportArrays'

export interface ExperimentContext {
  store: () => Promise<ExperimentStore>
  /** the loaded model, or null: saving a prompt's run and re-running comparisons need one */
  session: () => ModelSession | null
  appVersion: string
}

/** The experiment library over the store: list/search, save (with the prompt's run), fork, compare, export. */
export function experimentHandlers(ctx: ExperimentContext): Pick<ApiHandlers, ExperimentMethods> {
  const runner = () => {
    const s = ctx.session()
    return s ? predictRunner(s, ctx.appVersion) : undefined
  }
  const compare = async (ids: number[], diffOnly: boolean) => {
    const s = ctx.session()
    return compareExperiments(await ctx.store(), ids, { diffOnly, runner: runner(), ...(s ? { editEffects: senseEditEffects(s.runner) } : {}) })
  }

  return {
    'experiments.list': async ({ search, tag, limit, offset }) =>
      (await ctx.store()).list({ ...(search ? { search } : {}), ...(tag ? { tags: [tag] } : {}), limit, offset, sort: 'updated', order: 'desc' }),
    'experiments.get': async ({ id }) => (await ctx.store()).get(id),
    'experiments.save': async ({ name, notes, tags, edits, prompt }) => {
      const store = await ctx.store()
      const s = ctx.session()
      if (s) await store.recordCheckpoint(s.engine.contentHash, s.info.checkpointDir, { ...s.engine.config })
      const checkpoint = edits.checkpoint ?? s?.engine.contentHash ?? null
      const saved = await store.save({ name, notes, tags, edits: { ...edits, ...(checkpoint ? { checkpoint } : {}) } })
      if (prompt) {
        const r = runner()
        if (!r) throw new WorkbenchError('unavailable', `experiment ${saved.id} was saved without its run: no model is loaded to run the prompt`)
        await store.addRun(saved.id, await r.run({ kind: 'predict', inputs: { text: prompt }, settings: { topK: 10 } }, saved.edits))
      }
      return store.get(saved.id)
    },
    'experiments.update': async ({ id, ...patch }) => (await ctx.store()).update(id, patch),
    'experiments.fork': async ({ id, name }) => (await ctx.store()).fork(id, name ? { name } : {}),
    'experiments.delete': async ({ id }) => (await ctx.store()).delete(id),
    'experiments.compare': async ({ ids, diffOnly }) => {
      const comparison = await compare(ids, diffOnly)
      return { comparison, tables: comparisonTables(comparison) }
    },
    'experiments.exportTable': async ({ ids, diffOnly, format }) => ({ format, text: renderComparison(await compare(ids, diffOnly), format) }),
    'experiments.exportArrays': async ({ runId }) => {
      const { fileName, bytes, index } = await exportRunArrays(await ctx.store(), runId)
      return { fileName, base64: Buffer.from(bytes).toString('base64'), index }
    },
  }
}
