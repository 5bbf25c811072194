import type { FinetuneResponse } from '../../shared/ipc/api-types'
import type { CallContext } from '../runtime/engine-methods'
import type { FinetuneEngine } from './finetune-engine'
import { runFinetuneJob, type FinetuneJob } from './finetune-job'

/**
 * The engine table's `finetune` method, run inside the engine worker: the model's own sessions
 * serve the forward passes and projections directly (no second hop through the request queue),
 * the request's signal stops training at its next check (the objective yields every few ms, so a
 * cancel message gets in mid-epoch), and every epoch's figures go out as a progress report with
 * `figures`, which the proxy hands to the caller's onProgress.
 */
export function finetuneInWorker(c: CallContext, job: FinetuneJob): Promise<FinetuneResponse> {
  const core = c.core()
  const engine: FinetuneEngine = {
    config: core.config,
    contentHash: core.manifest.contentHash,
    forward: (ids, options = {}) => core.forward(ids, options.positions),
    project: (vectors, n) => core.project(vectors, n),
    embeddingRows: async (ids) => core.embeddingRows(ids),
  }
  return runFinetuneJob(engine, job, {
    signal: c.signal,
    onProgress: (p) =>
      c.progress({
        phase: 'finetune',
        fraction: p.epoch / p.epochs,
        message: `epoch ${p.epoch}/${p.epochs}`,
        figures: { ...p },
      }),
  })
}
