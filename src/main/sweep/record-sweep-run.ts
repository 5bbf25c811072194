import type { SenseEditDocument } from '../../shared/edits/sense-edits'
import type { NewRun } from '../../shared/store/experiment-types'
import { checkFolder, checkName, checkNotes, checkTags } from '../store/experiment-fields'
import type { ExperimentStore } from '../store/experiment-store'
import { insertExperimentTx, validateEditsTx } from '../store/experiment-writes'
import { insertRunTx } from '../store/run-rows'
import { sweepExperimentUid } from './sweep-jobs'

export interface SweepRunRecord {
  sweepId: string
  index: number
  name: string
  /** the sweep's tags: `sweep:<id>` and the sweep's name */
  tags: string[]
  checkpointHash: string
  edits: SenseEditDocument
  /** the run, made from the edit document as the store validated it (what a local run records) */
  run: (edits: SenseEditDocument) => NewRun
}

/**
 * Writes one finished sweep job as an experiment with its run, in one transaction, idempotently:
 * the experiment's uid is derived from (sweep, job index), so recording the same job again (a
 * retried job, a re-collected result, a second `sweep run` following the same sweep) finds the
 * experiment and its run and writes nothing.
 */
export async function recordSweepRun(
  store: ExperimentStore,
  r: SweepRunRecord,
): Promise<{ experimentId: number; runId: number; created: boolean }> {
  const uid = sweepExperimentUid(r.sweepId, r.index)
  const fields = { name: checkName(r.name), notes: checkNotes(''), tags: checkTags(r.tags), folder: checkFolder(undefined) }
  return store.database.transaction(async (tx) => {
    const existing = await tx.get<{ id: number }>('SELECT id FROM experiments WHERE uid = ?', [uid])
    const edits = await validateEditsTx(tx, r.edits, r.checkpointHash)
    let experimentId = existing?.id
    if (experimentId !== undefined) {
      const run = await tx.get<{ id: number }>('SELECT id FROM runs WHERE experiment_id = ? ORDER BY id LIMIT 1', [experimentId])
      if (run) return { experimentId, runId: run.id, created: false }
    } else {
      const now = Date.now()
      experimentId = await insertExperimentTx(
        tx,
        { ...fields, uid, parentId: null, checkpointHash: r.checkpointHash, createdAt: now, updatedAt: now },
        edits,
      )
    }
    const runId = await insertRunTx(tx, experimentId, r.run(edits.document as SenseEditDocument), edits.document as SenseEditDocument)
    return { experimentId, runId, created: true }
  }, 'recording a sweep result')
}
