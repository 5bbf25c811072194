import { expect } from 'vitest'
import type { SweepMeta } from '../../../../src/main/sweep/sweep-jobs'
import type { SweepQueue } from '../../../../src/main/sweep/sweep-queue'
import { workerName, type WorkerProcess } from './worker-process'

/** The (only) sweep on the queue, once `sweep run` has submitted it (bounded wait). */
export async function submittedSweep(q: SweepQueue): Promise<SweepMeta> {
  for (let tries = 0; ; tries++) {
    expect(tries).toBeLessThan(1500)
    const key = (await q.redis.keys(`backpack:${q.name}:sweep:*`)).find((k) => !k.endsWith(':cancelled'))
    if (key) return q.meta(key.split(':').pop()!)
    await new Promise((r) => setTimeout(r, 20))
  }
}

/**
 * Freezes the worker (SIGSTOP) at a moment Redis shows it holding a job of the sweep, after at
 * least `afterCompleted` jobs completed; returns the indexes it holds. Bounded.
 */
export async function freezeWhileHolding(q: SweepQueue, meta: SweepMeta, w: WorkerProcess, afterCompleted = 0): Promise<number[]> {
  const name = workerName(w)
  for (let tries = 0; ; tries++) {
    expect(tries).toBeLessThan(3000)
    const done = (await q.jobs(meta)).filter((s) => s.state === 'completed').length
    if (done >= afterCompleted) {
      w.proc.kill('SIGSTOP')
      await new Promise((r) => setTimeout(r, 300)) // commands it sent before stopping land first
      const held = (await q.jobs(meta)).filter((s) => s.state === 'active' && s.job?.processedBy === name).map((s) => s.index)
      if (held.length > 0) return held
      w.proc.kill('SIGCONT')
    }
    await new Promise((r) => setTimeout(r, 20))
  }
}
