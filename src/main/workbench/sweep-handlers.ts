import { resolve } from 'node:path'
import type { ModelInfo } from '../../shared/ipc/api-types'
import { parseSweepDocument } from '../../shared/sweep/sweep-document'
import type { ApiHandlers } from '../../shared/ipc/api'
import type { ExperimentStore } from '../store/experiment-store'
import type { SweepMeta } from '../sweep/sweep-jobs'
import type { SweepQueue } from '../sweep/sweep-queue'

type SweepMethods = 'sweeps.submit' | 'sweeps.list' | 'sweeps.status' | 'sweeps.cancel'

export interface SweepHandlerDeps {
  store: () => Promise<ExperimentStore>
  /** the loaded model, if any: a document without a checkpoint runs on it */
  model: () => ModelInfo | null
}

/**
 * The sweep methods (the app's and serve's Sweeps view): submit a sweep document to a Redis queue,
 * list and read sweeps, cancel one. Reading a sweep records its finished jobs in the experiment log
 * (idempotently), so results that landed while the app was closed are caught up on. Each call
 * opens its own connection, checked first (typed `queue`/`unauthorized` errors), and closes it.
 */
export function sweepHandlers(deps: SweepHandlerDeps): Pick<ApiHandlers, SweepMethods> {
  return {
    'sweeps.submit': ({ redis, queue, document }) =>
      withQueue(redis, queue, async (q, { submitSweep }) => {
        const doc = parseSweepDocument(document)
        const model = deps.model()
        const checkpoint = doc.checkpoint ?? model?.checkpointDir
        // a relative checkpoint is taken from the working folder (the app has no sweep file)
        const submitted = await submitSweep(q, { ...doc, checkpoint }, resolve('sweep.json'))
        const store = await deps.store()
        await store.recordCheckpoint(submitted.meta.checkpointHash, submitted.checkpointDir, submitted.config)
        return submitted.meta
      }),
    'sweeps.list': ({ redis, queue }) => withQueue(redis, queue, async (q, { listSweeps }) => ({ sweeps: await listSweeps(q) })),
    'sweeps.status': ({ redis, queue, sweepId }) =>
      withQueue(redis, queue, async (q, { sweepStatus, collectSweep }) => {
        const status = await sweepStatus(q, sweepId)
        const meta = await q.meta(sweepId)
        const store = await deps.store()
        await knowCheckpoint(store, meta, deps.model())
        const { experiments, recorded } = await collectSweep(q, meta, store)
        return { ...status, experiments, recorded }
      }),
    'sweeps.cancel': ({ redis, queue, sweepId, waitMs }) =>
      withQueue(redis, queue, (q, { cancelSweep }) => cancelSweep(q, sweepId, waitMs)),
  }
}

/**
 * The queue's modules (bullmq, ioredis: several hundred ms to load) are loaded by the first sweep
 * call, so a door that never sweeps (the CLI's one-shot commands) never pays for them.
 */
async function queueModules() {
  const [queue, control, submit, collect] = await Promise.all([
    import('../sweep/sweep-queue'),
    import('../sweep/sweep-control'),
    import('../sweep/submit-sweep'),
    import('../sweep/collect-sweep'),
  ])
  return { SweepQueue: queue.SweepQueue, ...control, ...submit, ...collect }
}

async function withQueue<T>(
  url: string,
  name: string,
  fn: (q: SweepQueue, modules: Awaited<ReturnType<typeof queueModules>>) => Promise<T>,
): Promise<T> {
  const modules = await queueModules()
  const q = await modules.SweepQueue.open(url, name)
  try {
    return await fn(q, modules)
  } finally {
    await q.close()
  }
}

/** The sweep's checkpoint in the store before its experiments are written (source known when it is loaded). */
async function knowCheckpoint(store: ExperimentStore, meta: SweepMeta, model: ModelInfo | null): Promise<void> {
  if (await store.checkpoint(meta.checkpointHash)) return
  const here = model?.contentHash === meta.checkpointHash
  await store.recordCheckpoint(meta.checkpointHash, here ? model.checkpointDir : null, here ? { ...model.config } : null)
}
