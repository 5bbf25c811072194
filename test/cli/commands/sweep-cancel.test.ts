import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ExperimentStore } from '../../../src/main/store/experiment-store'
import { failedCode, SweepQueue } from '../../../src/main/sweep/sweep-queue'
import { cli, useTempCache } from '../cli-harness'
import { startRedis, type TestRedis } from '../../main/sweep/helpers/redis-server'
import { freezeWhileHolding, submittedSweep } from '../../main/sweep/helpers/sweep-probe'
import { cliProcess, startWorker, stopWorker, TINY, type WorkerProcess } from '../../main/sweep/helpers/worker-process'

/**
 * `sweep cancel` on a real redis-server and worker process: waiting jobs are removed, the running
 * one is aborted and not retried, no job runs after the cancel returns, finished ones stay.
 */
const cache = useTempCache('sweep-cancel-')
let redis: TestRedis
let worker: WorkerProcess | undefined

beforeAll(async () => {
  redis = await startRedis()
})
afterAll(async () => {
  if (worker) worker.proc.kill('SIGCONT')
  await stopWorker(worker)
  await redis?.stop()
})

describe('sweep cancel', () => {
  it('stops a running sweep: waiting removed, running aborted, nothing retried, finished kept', { timeout: 240_000 }, async () => {
    const dir = cache()
    const spec = join(dir, 'sweep.json')
    const text = 'The nurse said that the doctor was late again. '.repeat(6)
    writeFileSync(
      spec,
      JSON.stringify({
        format: 'backpack-sweep',
        version: 1,
        name: 'cancel test',
        checkpoint: TINY,
        kind: 'predict',
        request: { text },
        grid: { kind: 'scale-sense', token: ' nurse', senses: 'all', factors: [0, 0.5, 2] },
      }),
    )
    const db = join(dir, 'sweep.sqlite')
    worker = startWorker(redis.url)
    await worker.waitFor((e) => e.event === 'ready')

    const run = cliProcess(['sweep', 'run', '--redis', redis.url, '--spec', spec, '--db', db])
    const q = await SweepQueue.open(redis.url, 'backpack-sweeps')
    const meta = await submittedSweep(q)
    expect(meta.jobs).toBe(12) // 4 senses × 3 factors
    const held = await freezeWhileHolding(q, meta, worker, 2)
    const cancel = cli(['sweep', 'cancel', meta.sweepId, '--redis', redis.url, '--wait-s', '60'])
    while (!(await q.isCancelled(meta.sweepId))) await new Promise((r) => setTimeout(r, 20))
    worker.proc.kill('SIGCONT') // it resumes its job, which is aborted
    const c = await cancel
    const cancelReturned = Date.now()
    expect(c.code, c.stderr).toBe(0)
    const result = c.json()
    expect(result).toMatchObject({ sweepId: meta.sweepId, aborted: held.length, stillActive: 0 })
    expect(result.completed).toBeGreaterThanOrEqual(2)
    expect(result.removed).toBe(12 - held.length - result.completed)

    const res = await run
    expect(res.code).toBe(1)
    expect(res.stderr).toContain('error[cancelled]')
    const summary = res.json()
    expect(summary).toMatchObject({
      sweepId: meta.sweepId,
      jobs: 12,
      completed: result.completed,
      failed: 12 - result.completed,
      cancelled: true,
    })

    const states = await q.jobs(meta)
    const started = worker.events.filter((e) => e.event === 'started').length
    await q.close()
    for (const s of states) {
      if (s.state === 'completed') expect(s.job!.finishedOn!).toBeLessThanOrEqual(cancelReturned)
      else if (held.includes(s.index)) {
        expect(s.state).toBe('failed') // aborted, not put back for a retry
        expect(failedCode(s.job!.failedReason)).toBe('cancelled')
        expect(s.job!.attemptsMade).toBe(1)
      } else expect(s.job).toBeNull() // removed before it ran
      if (s.job) expect(s.job.processedOn!).toBeLessThanOrEqual(cancelReturned)
    }
    expect(states.filter((s) => s.state === 'completed')).toHaveLength(result.completed)
    // the worker took no job after the cancel (it is idle and alive)
    expect(worker.events.filter((e) => e.event === 'started')).toHaveLength(started)
    expect(started).toBe(result.completed + held.length)

    const store = await ExperimentStore.open(db)
    try {
      const page = await store.list({ tags: [`sweep:${meta.sweepId}`], limit: 100 })
      expect(page.total).toBe(result.completed)
      expect(page.items.map((e) => e.id).sort((a, b) => a - b)).toEqual(summary.experiments)
      for (const e of page.items) expect(await store.runs(e.id)).toHaveLength(1)
    } finally {
      await store.close()
    }
  })
})
