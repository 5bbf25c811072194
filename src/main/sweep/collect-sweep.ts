import { WorkbenchError } from '../../shared/errors'
import type { SweepMeta, SweepProgress } from '../../shared/sweep/sweep-view'
import type { ExperimentStore } from '../store/experiment-store'
import { SweepRecorder } from './follow-sweep'
import { TABLE_ROWS_METHOD } from './sweep-jobs'
import type { SweepQueue } from './sweep-queue'

/**
 * One pass over a sweep's finished jobs: each completed job is written to the experiment log
 * (idempotently — one already recorded is found, not written again), so results that finished
 * while nobody followed the sweep (the app closed) land when it is next looked at.
 */
export async function collectSweep(
  q: SweepQueue,
  meta: SweepMeta,
  store: ExperimentStore,
): Promise<Pick<SweepProgress, 'experiments' | 'recorded'> & { unrecordable: { index: number; code: string }[] }> {
  const experiments: SweepProgress['experiments'] = []
  const unrecordable: { index: number; code: string }[] = []
  let recorded = 0
  const recorder = new SweepRecorder(store, meta)
  for (const { index, job, state } of await q.jobs(meta)) {
    if (state !== 'completed' || !job || job.data.method === TABLE_ROWS_METHOD) continue
    try {
      const r = await recorder.add(job.data, job.returnvalue)
      if (!r) continue // a part of a split job whose other parts are not in yet
      experiments.push({ index: r.index, experimentId: r.experimentId, name: r.name })
      if (r.created) recorded++
    } catch (e) {
      if (!(e instanceof WorkbenchError) || e.code === 'store-io' || e.code === 'store-corrupt') throw e
      unrecordable.push({ index, code: e.code })
    }
  }
  return { experiments, recorded, unrecordable }
}
