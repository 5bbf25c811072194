import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { handlerRunner } from '../../../src/main/runs/handler-runner'
import { ExperimentStore } from '../../../src/main/store/experiment-store'
import { SweepQueue } from '../../../src/main/sweep/sweep-queue'
import { Workbench } from '../../../src/main/workbench/workbench'
import { appVersion } from '../../../src/cli/commands/worker'
import { cli, useTempCache } from '../cli-harness'
import { startRedis, type TestRedis } from '../../main/sweep/helpers/redis-server'
import { freezeWhileHolding, submittedSweep } from '../../main/sweep/helpers/sweep-probe'
import { cliProcess, startWorker, stopWorker, TINY, workerName, type WorkerProcess } from '../../main/sweep/helpers/worker-process'

/**
 * A 12-document predict sweep on a real redis-server with two real worker processes on the tiny
 * fixture, one of them killed with SIGKILL mid-sweep: every job still lands exactly once in
 * SQLite, each run equal to the same run made locally by the CLI's experiment runner.
 */
const cache = useTempCache('sweep-run-')
const TEXT = 'The nurse said that the doctor was late again, and the teacher agreed. '.repeat(8)
let redis: TestRedis
const workers: WorkerProcess[] = []

beforeAll(async () => {
  redis = await startRedis()
})
afterAll(async () => {
  await Promise.all(workers.map((w) => stopWorker(w)))
  await redis?.stop()
})

describe('sweep run with two workers, one killed with SIGKILL', () => {
  it('stores 12 experiments, one run each, equal to local runs; exits 0 reporting 12 completed', { timeout: 300_000 }, async () => {
    const dir = cache()
    const factors = [0, 0.25, 0.5, 2, 3, 4]
    const edits = [' nurse', ' doctor'].flatMap((token) =>
      factors.map((factor) => ({
        format: 'backpack-sense-edits',
        version: 1,
        name: `${token.trim()} sense 1 × ${factor}`,
        edits: [{ kind: 'scale-sense', token, sense: 1, factor }],
      })),
    )
    const spec = join(dir, 'sweep.json')
    writeFileSync(
      spec,
      JSON.stringify({
        format: 'backpack-sweep',
        version: 1,
        name: 'kill test',
        checkpoint: TINY,
        kind: 'predict',
        request: { text: TEXT, topK: 5 },
        edits,
      }),
    )
    const db = join(dir, 'sweep.sqlite')

    workers.push(startWorker(redis.url, ['--concurrency', '2']), startWorker(redis.url))
    await Promise.all(workers.map((w) => w.waitFor((e) => e.event === 'ready')))
    const [victim, survivor] = workers
    const survivorName = workerName(survivor)

    const run = cliProcess(['sweep', 'run', '--redis', redis.url, '--spec', spec, '--db', db, '--timeout-s', '240'])
    // freeze the victim, and kill it only while Redis shows it holding a job
    const q = await SweepQueue.open(redis.url, 'backpack-sweeps')
    const held = await freezeWhileHolding(q, await submittedSweep(q), victim)
    victim.proc.kill('SIGKILL')
    expect((await victim.exited).signal).toBe('SIGKILL')
    const res = await run
    expect(res.stderr).toContain('"event":"progress"')
    expect(res.code, res.stdout + res.stderr.slice(-300)).toBe(0)
    const summary = res.json() as { sweepId: string; experiments: number[] }
    expect(summary).toMatchObject({ jobs: 12, completed: 12, failed: 0, cancelled: false })
    expect(new Set(summary.experiments).size).toBe(12)

    // the jobs the victim held were recovered as stalled jobs and finished by the survivor
    const states = await q.jobs(await q.meta(summary.sweepId))
    await q.close()
    expect(states.every((s) => s.state === 'completed')).toBe(true)
    for (const i of held) expect(states[i].job).toMatchObject({ processedBy: survivorName, stalledCounter: 1 })
    const status = await cli(['sweep', 'status', summary.sweepId, '--redis', redis.url])
    expect(status.json()).toMatchObject({
      jobs: 12,
      cancelled: false,
      counts: { completed: 12, waiting: 0, active: 0, failed: 0, removed: 0 },
      active: [],
      failures: [],
    })
    const by = status.json().completedBy as Record<string, number>
    expect(Object.values(by).reduce((a, b) => a + b, 0)).toBe(12)
    expect(by[survivorName]).toBeGreaterThanOrEqual(held.length)
    // following the finished sweep again writes nothing new; into another database, the same 12
    const again = await cli(['sweep', 'follow', summary.sweepId, '--redis', redis.url, '--db', db])
    expect(again.code).toBe(0)
    expect(again.json()).toMatchObject({ completed: 12, experiments: summary.experiments })
    const other = await cli(['sweep', 'follow', summary.sweepId, '--redis', redis.url, '--db', join(dir, 'other.sqlite')])
    expect(other.json()).toMatchObject({ completed: 12, failed: 0 })
    expect(survivor.events.some((e) => e.event === 'completed')).toBe(true)

    // the same runs made locally, as `experiment run` makes them: through the handler table
    const store = await ExperimentStore.open(db)
    const local = await ExperimentStore.open(join(dir, 'local.sqlite'))
    const wb = new Workbench({ transport: 'cli', version: appVersion(), databasePath: join(dir, 'unused.sqlite') })
    try {
      await wb.open({ checkpointDir: TINY })
      const { engine } = wb.session!
      await local.recordCheckpoint(engine.contentHash, TINY, { ...engine.config })
      const runner = handlerRunner(wb.handlers(), await wb.origin())
      expect((await store.list({ tags: [`sweep:${summary.sweepId}`], limit: 100 })).total).toBe(12)
      expect((await store.list({ limit: 100 })).total).toBe(12) // the second follow wrote nothing
      for (const [i, id] of (summary.experiments as number[]).entries()) {
        const exp = await store.get(id)
        expect(exp.name).toBe(edits[i].name)
        const runs = await store.runs(id)
        expect(runs).toHaveLength(1)
        const swept = await store.getRun(runs[0].id)
        const mine = await local.save({ name: exp.name, edits: exp.edits })
        const made = await local.getRun(
          (await local.addRun(mine.id, await runner.run({ kind: 'predict', inputs: { text: TEXT }, settings: { topK: 5 } }, mine.edits)))
            .id,
        )
        const comparable = (r: typeof made) => ({ ...r, id: 0, uid: '', experimentId: 0, createdAt: 0, timingsMs: {} })
        expect(comparable(swept)).toEqual(comparable(made))
      }
    } finally {
      await wb.dispose()
      await store.close()
      await local.close()
    }
  })
})
