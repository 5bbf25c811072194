import type { SweepCancelResult, SweepMeta, SweepStatus } from '../../shared/sweep/sweep-view'
import { cancelChannel, sweepKeys } from './sweep-jobs'
import { failedCode, type JobState, type SweepQueue } from './sweep-queue'

/** Where a sweep's jobs stand, read from the queue (nothing is written). */
export async function sweepStatus(q: SweepQueue, sweepId: string): Promise<SweepStatus> {
  const meta = await q.meta(sweepId)
  const counts = { waiting: 0, active: 0, completed: 0, failed: 0, removed: 0 }
  const active: SweepStatus['active'] = []
  const failures: SweepStatus['failures'] = []
  const completedBy: Record<string, number> = {}
  for (const { index, job, state } of await q.jobs(meta)) {
    const bucket = countAs(state, job !== null)
    counts[bucket]++
    if (bucket === 'active') active.push({ index, worker: job!.processedBy ?? null, attemptsMade: job!.attemptsMade })
    if (bucket === 'completed') completedBy[job!.processedBy ?? 'unknown'] = (completedBy[job!.processedBy ?? 'unknown'] ?? 0) + 1
    if (bucket === 'failed') failures.push({ index, code: failedCode(job!.failedReason) })
  }
  return { sweepId, name: meta.name, jobs: meta.jobs, cancelled: await q.isCancelled(sweepId), counts, active, completedBy, failures }
}

export type CancelResult = SweepCancelResult

/**
 * Cancels a sweep: marks it cancelled (a worker checks the mark before and after each job, so no
 * job of it starts or completes afterwards), removes its waiting jobs, tells the workers to abort
 * its running ones, and waits (up to `waitMs`) until none is running. Finished jobs stay.
 */
export async function cancelSweep(q: SweepQueue, sweepId: string, waitMs = 15_000): Promise<CancelResult> {
  const meta = await q.meta(sweepId)
  const client = q.redis
  await q.call('cancelling the sweep', () => client.set(sweepKeys(q.name, sweepId).cancelled, '1', 'EX', 7 * 24 * 3600))
  await q.call('cancelling the sweep', () => client.publish(cancelChannel(q.name), sweepId))
  let removed = 0
  const running = new Set<number>()
  for (const { index, job, state } of await q.jobs(meta)) {
    if (!job || state === 'completed' || state === 'failed') continue
    if (state === 'active') {
      running.add(index)
      continue
    }
    try {
      await job.remove()
      removed++
    } catch {
      running.add(index) // a worker took it meanwhile: it sees the mark and fails it as cancelled
    }
  }
  const deadline = Date.now() + waitMs
  let stillActive = [...running]
  while (stillActive.length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100))
    const states = await q.jobs(meta, stillActive)
    stillActive = states.filter((s) => s.job && s.state !== 'completed' && s.state !== 'failed').map((s) => s.index)
  }
  const completed = (await q.jobs(meta)).filter((s) => s.state === 'completed').length
  return { sweepId, removed, aborted: running.size, completed, stillActive: stillActive.length }
}

/** The sweeps a queue knows (newest first), read from their keys in Redis. */
export async function listSweeps(q: SweepQueue, limit = 100): Promise<SweepMeta[]> {
  const prefix = sweepKeys(q.name, '').meta
  const keys: string[] = []
  let cursor = '0'
  do {
    const [next, batch] = await q.call('listing sweeps', () => q.redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500))
    cursor = next
    keys.push(...batch.filter((k) => !k.endsWith(':cancelled')))
  } while (cursor !== '0' && keys.length < 10_000)
  if (keys.length === 0) return []
  const raw = await q.call('listing sweeps', () => q.redis.mget(keys))
  const metas = raw.flatMap((r) => {
    try {
      return r ? [JSON.parse(r) as SweepMeta] : []
    } catch {
      return []
    }
  })
  return metas.sort((a, b) => b.createdAt - a.createdAt).slice(0, limit)
}

function countAs(state: JobState, exists: boolean): keyof SweepStatus['counts'] {
  if (!exists) return 'removed'
  if (state === 'completed' || state === 'failed' || state === 'active') return state
  return 'waiting'
}
