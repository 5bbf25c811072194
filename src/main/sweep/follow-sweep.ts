import type { SenseEditDocument } from '../../shared/edits/sense-edits'
import { WorkbenchError } from '../../shared/errors'
import type { ExperimentStore } from '../store/experiment-store'
import { recordSweepRun } from './record-sweep-run'
import type { SweepJobData, SweepJobResult, SweepMeta } from './sweep-jobs'
import { decodeRun } from './sweep-run-codec'
import type { RecipeLookup } from './sweep-run-record'
import { evaluateRunFromParts, mergeEvaluateParts, type MergeEvaluate } from './evaluate-parts'
import { failedCode, type SweepQueue } from './sweep-queue'

const UNRECORDABLE = new Set(['queue', 'bad-request', 'edit-invalid', 'checkpoint-mismatch', 'unavailable'])

export interface SweepSummary {
  sweepId: string
  jobs: number
  completed: number
  failed: number
  cancelled: boolean
  /** experiment ids of the completed jobs, in job order (of a split sweep: one per edit document whose parts all completed) */
  experiments: number[]
  /** why jobs failed: job index and error code */
  errors: { index: number; code: string; reason: string }[]
}

export interface FollowOptions {
  store: ExperimentStore
  /** checkpoint directory and config, recorded with the experiments */
  checkpoint: { dir: string | null; config: Record<string, unknown> | null }
  onProgress?: (p: { done: number; failed: number; active: number; waiting: number; jobs: number }) => void
  pollMs?: number
  /** stop waiting after this long (the summary then counts the unfinished jobs); default: as long as jobs are pending */
  timeoutMs?: number
  /** how long Redis may stay unreachable before a `queue` error (default 30 s) */
  outageMs?: number
  /** how a split evaluate job's parts become one answer (default: the evaluate kind's merge) */
  mergeEvaluate?: MergeEvaluate
}

/**
 * Waits for a sweep's jobs to finish, writing each completed job to SQLite as it lands (one
 * experiment per edit document, tagged `sweep:<id>`, its run recorded exactly as a local run).
 * Writing is idempotent, so following a sweep twice, or a job that ran twice, writes once.
 */
export async function followSweep(q: SweepQueue, meta: SweepMeta, o: FollowOptions): Promise<SweepSummary> {
  await o.store.recordCheckpoint(meta.checkpointHash, o.checkpoint.dir, o.checkpoint.config)
  const pending = new Set(Array.from({ length: meta.jobs }, (_, i) => i))
  const experiments = new Map<number, number>() // by job index, or by edit document for a split sweep
  const recorder = new SweepRecorder(o.store, meta, o.mergeEvaluate)
  let completed = 0
  const errors: SweepSummary['errors'] = []
  const deadline = o.timeoutMs === undefined ? Infinity : Date.now() + o.timeoutMs
  let outageSince: number | null = null
  for (;;) {
    let active = 0
    let waiting = 0
    let states
    try {
      states = await q.jobs(meta, [...pending])
      outageSince = null
    } catch (e) {
      // Redis went away: keep asking for a while (workers and Redis may come back), then fail typed
      outageSince ??= Date.now()
      if (!(e instanceof WorkbenchError) || e.code !== 'queue' || Date.now() - outageSince > (o.outageMs ?? 30_000)) throw e
      await new Promise((r) => setTimeout(r, 500))
      continue
    }
    for (const { index, job, state } of states) {
      if (state === 'completed' && job) {
        try {
          const rec = await recorder.add(job.data, job.returnvalue)
          if (rec) experiments.set(rec.index, rec.experimentId)
          completed++
        } catch (e) {
          // a result that can never be recorded (malformed, or edits the store refuses) fails that job only
          if (!(e instanceof WorkbenchError) || !UNRECORDABLE.has(e.code)) throw e
          errors.push({ index, code: e.code, reason: `error[${e.code}]: ${e.message}` })
        }
        pending.delete(index)
      } else if (state === 'failed' || !job) {
        const reason = job?.failedReason ?? 'error[cancelled]: the job was removed from the queue'
        errors.push({ index, code: failedCode(reason), reason })
        pending.delete(index)
      } else if (state === 'active') active++
      else waiting++
    }
    o.onProgress?.({ done: completed, failed: errors.length, active, waiting, jobs: meta.jobs })
    if (pending.size === 0) break
    if (Date.now() > deadline) break
    await new Promise((r) => setTimeout(r, o.pollMs ?? 250))
  }
  errors.sort((a, b) => a.index - b.index)
  return {
    sweepId: meta.sweepId,
    jobs: meta.jobs,
    completed,
    failed: errors.length,
    cancelled: await q.isCancelled(meta.sweepId),
    experiments: [...experiments.entries()].sort((a, b) => a[0] - b[0]).map(([, id]) => id),
    errors,
  }
}

/** Writes one completed job (idempotently): its experiment and the run the worker made. */
export async function recordCompletedJob(store: ExperimentStore, meta: SweepMeta, data: SweepJobData, result: SweepJobResult) {
  const edits = (data.request as { edits?: SenseEditDocument }).edits ?? NO_EDITS
  const run = decodeRun(result?.run)
  return recordSweepRun(store, {
    sweepId: meta.sweepId,
    index: data.index,
    name: jobName(meta, data),
    tags: sweepTags(meta),
    checkpointHash: meta.checkpointHash,
    edits,
    run: (validated) => ({ ...run, edits: validated }),
  })
}

/**
 * Records a sweep's completed jobs: a job at once, the parts of a split evaluate job once every
 * part is in (merged into one run). Idempotent, as recordSweepRun is.
 */
export class SweepRecorder {
  readonly #parts = new Map<number, Map<number, { data: SweepJobData; result: SweepJobResult }>>()
  readonly #store: ExperimentStore
  readonly #meta: SweepMeta
  readonly #merge: MergeEvaluate
  readonly #recipes: RecipeLookup | undefined

  constructor(store: ExperimentStore, meta: SweepMeta, merge: MergeEvaluate = mergeEvaluateParts, recipes?: RecipeLookup) {
    this.#store = store
    this.#meta = meta
    this.#merge = merge
    this.#recipes = recipes
  }

  /** The experiment the job completes (index: the job's, or its edit document's for a part), or null while parts are missing. */
  async add(
    data: SweepJobData,
    result: SweepJobResult,
  ): Promise<{ index: number; experimentId: number; created: boolean; name: string } | null> {
    const meta = this.#meta
    if (!data.part) return { index: data.index, name: jobName(meta, data), ...(await recordCompletedJob(this.#store, meta, data, result)) }
    const { group, of } = data.part
    const parts = this.#parts.get(group) ?? new Map()
    this.#parts.set(group, parts.set(data.part.index, { data, result }))
    if (parts.size < of) return null
    const name = jobName(meta, { index: group, request: data.request })
    const r = await recordSweepRun(this.#store, {
      sweepId: meta.sweepId,
      index: group,
      name,
      tags: sweepTags(meta),
      checkpointHash: meta.checkpointHash,
      edits: (data.request as { edits?: SenseEditDocument }).edits ?? NO_EDITS,
      run: (validated) => ({ ...evaluateRunFromParts([...parts.values()], this.#merge, this.#recipes), edits: validated }),
    })
    return { index: group, name, ...r }
  }
}

const NO_EDITS: SenseEditDocument = { format: 'backpack-sense-edits', version: 1, edits: [] }

/** A job's experiment name: its edit document's name, else the sweep's with the job's number. */
export function jobName(meta: Pick<SweepMeta, 'name'>, data: Pick<SweepJobData, 'index' | 'request'>): string {
  return (data.request as { edits?: SenseEditDocument }).edits?.name ?? `${meta.name} #${data.index + 1}`
}

/** The tags every experiment of a sweep carries: `sweep:<id>` and the sweep's name. */
export function sweepTags(meta: Pick<SweepMeta, 'sweepId' | 'name'>): string[] {
  return [`sweep:${meta.sweepId}`, `sweep-name:${meta.name}`.slice(0, 100)]
}
