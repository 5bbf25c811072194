import { dirname, resolve } from 'node:path'
import { expandSweep } from '../../shared/sweep/expand-sweep'
import type { SweepDocument } from '../../shared/sweep/sweep-document'
import { ensureOnnxExport } from '../checkpoint/onnx/onnx-cache'
import { resolveCheckpointDir } from '../paths/app-paths'
import { jobId, newSweepId, sweepKeys, type SweepJobData, type SweepMeta } from './sweep-jobs'
import type { SweepQueue } from './sweep-queue'

/** Attempts of a job whose failure may be transient (a worker crash counts as a stall, not an attempt). */
export const JOB_ATTEMPTS = 3
/** How long finished jobs (and the sweep's keys) stay in Redis for `sweep status`/`follow`. */
export const KEEP_S = 7 * 24 * 3600

export interface SubmittedSweep {
  meta: SweepMeta
  /** the checkpoint directory the jobs are for (recorded with the experiments) */
  checkpointDir: string
  config: Record<string, unknown>
}

/**
 * Expands a sweep document into jobs and puts them on the queue. The checkpoint's content hash
 * (from the conversion cache, converting once on a miss) goes into every job, so no worker runs
 * a job on another model. A relative `checkpoint` is taken from the sweep file's folder.
 */
export async function submitSweep(q: SweepQueue, doc: SweepDocument, specPath: string): Promise<SubmittedSweep> {
  const checkpointDir = resolveCheckpointDir(doc.checkpoint ? resolve(dirname(specPath), doc.checkpoint) : undefined)
  const { manifest } = await ensureOnnxExport(checkpointDir)
  const specs = expandSweep(doc, manifest.config.numSenses)
  const sweepId = newSweepId()
  const meta: SweepMeta = { sweepId, name: doc.name, jobs: specs.length, checkpointHash: manifest.contentHash, createdAt: Date.now() }
  const client = q.redis
  await q.call('recording the sweep', () => client.set(sweepKeys(q.name, sweepId).meta, JSON.stringify(meta), 'EX', KEEP_S))
  const jobs = specs.map((s) => {
    const request = s.edits.edits.length > 0 ? { ...s.request, edits: s.edits } : s.request
    const data: SweepJobData = {
      sweepId,
      index: s.index,
      method: s.method,
      request,
      checkpointHash: manifest.contentHash,
      ...(s.part ? { part: s.part } : {}),
    }
    return {
      name: s.method,
      data,
      opts: {
        jobId: jobId(sweepId, s.index),
        attempts: JOB_ATTEMPTS,
        backoff: { type: 'fixed', delay: 1000 },
        removeOnComplete: { age: KEEP_S },
        removeOnFail: { age: KEEP_S },
      },
    }
  })
  for (let i = 0; i < jobs.length; i += 500) {
    const chunk = jobs.slice(i, i + 500)
    await q.call('submitting jobs', () => q.queue.addBulk(chunk))
  }
  return { meta, checkpointDir, config: { ...manifest.config } }
}
