import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Result } from '../../../src/shared/errors'
import type { SweepProgress } from '../../../src/shared/sweep/sweep-view'
import { createDispatcher, type Dispatch } from '../../../src/main/workbench/create-dispatcher'
import { ExperimentStore } from '../../../src/main/store/experiment-store'
import { startSweepWorker, type RunningSweepWorker } from '../../../src/main/queue-worker/sweep-worker'
import { Workbench } from '../../../src/main/workbench/workbench'
import { freePort, startRedis, type TestRedis } from '../sweep/helpers/redis-server'
import { TINY } from '../sweep/helpers/worker-process'

/**
 * The Sweeps view's methods through the dispatcher, on a real redis-server with a real worker:
 * submit, live status, the finished jobs recorded as experiments (also by an app that was closed
 * while they finished), cancel, and typed errors for bad input.
 */
let redis: TestRedis
let locked: TestRedis
let worker: RunningSweepWorker
let dir: string
let savedCache: string | undefined
const benches: Workbench[] = []

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sweep-handlers-'))
  savedCache = process.env.BACKPACK_CACHE_DIR
  process.env.BACKPACK_CACHE_DIR = join(dir, 'cache')
  redis = await startRedis()
  locked = await startRedis({ password: 'pw' })
  worker = await startSweepWorker({
    redis: redis.url,
    queue: 'app',
    concurrency: 2,
    checkpoint: TINY,
    lockMs: 10_000,
    appVersion: 'test',
    log: () => undefined,
  })
}, 120_000)
afterAll(async () => {
  await Promise.all(benches.map((b) => b.dispose()))
  await worker?.close()
  await redis?.stop()
  await locked?.stop()
  rmSync(dir, { recursive: true, force: true })
  if (savedCache === undefined) delete process.env.BACKPACK_CACHE_DIR
  else process.env.BACKPACK_CACHE_DIR = savedCache
})

function app(db: string): Dispatch {
  const wb = new Workbench({ transport: 'http', version: 'test', databasePath: join(dir, db) })
  benches.push(wb)
  return createDispatcher(wb.handlers())
}
const value = <T>(r: Result<unknown>): T => {
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`)
  return r.value as T
}
const codeOf = (r: Result<unknown>) => (r.ok ? 'ok' : r.error.code)
const edit = (factor: number) => ({
  format: 'backpack-sense-edits',
  version: 1,
  name: `doctor × ${factor}`,
  edits: [{ kind: 'scale-sense', token: ' doctor', sense: 0, factor }],
})
const sweepDoc = {
  format: 'backpack-sweep',
  version: 1,
  name: 'from the app',
  checkpoint: TINY,
  kind: 'predict',
  request: { text: 'The doctor said that', topK: 3 },
  edits: [0, 1, 2].map(edit),
}

describe('sweeps.* handlers', () => {
  it('submit, follow to the end, record each job once; an app that was closed catches up on open', { timeout: 180_000 }, async () => {
    const call = app('open.sqlite')
    const meta = value<{ sweepId: string; jobs: number }>(
      await call('sweeps.submit', { redis: redis.url, queue: 'app', document: sweepDoc }),
    )
    expect(meta.jobs).toBe(3)
    expect(
      value<{ sweeps: { sweepId: string }[] }>(await call('sweeps.list', { redis: redis.url, queue: 'app' })).sweeps.map((s) => s.sweepId),
    ).toContain(meta.sweepId)
    let status: SweepProgress
    for (let tries = 0; ; tries++) {
      expect(tries).toBeLessThan(600)
      status = value<SweepProgress>(await call('sweeps.status', { redis: redis.url, queue: 'app', sweepId: meta.sweepId }))
      if (status.counts.completed + status.counts.failed === 3) break
      await new Promise((r) => setTimeout(r, 200))
    }
    expect(status.counts).toEqual({ waiting: 0, active: 0, completed: 3, failed: 0, removed: 0 })
    expect(Object.values(status.completedBy).reduce((a, b) => a + b, 0)).toBe(3)
    expect(status.experiments.map((e) => [e.index, e.name])).toEqual([
      [0, 'doctor × 0'],
      [1, 'doctor × 1'],
      [2, 'doctor × 2'],
    ])
    const again = value<SweepProgress>(await call('sweeps.status', { redis: redis.url, queue: 'app', sweepId: meta.sweepId }))
    expect(again.recorded).toBe(0)
    expect(again.experiments).toEqual(status.experiments)

    // an app whose database never saw the sweep (closed while it ran) records all three on its first look
    const later = app('closed.sqlite')
    const caught = value<SweepProgress>(await later('sweeps.status', { redis: redis.url, queue: 'app', sweepId: meta.sweepId }))
    expect(caught.recorded).toBe(3)
    expect(value<SweepProgress>(await later('sweeps.status', { redis: redis.url, queue: 'app', sweepId: meta.sweepId })).recorded).toBe(0)
    const store = await ExperimentStore.open(join(dir, 'closed.sqlite'))
    try {
      expect((await store.list({ tags: [`sweep:${meta.sweepId}`], limit: 10 })).total).toBe(3)
      for (const e of caught.experiments) {
        const runs = await store.runs(e.experimentId)
        expect(runs).toHaveLength(1)
        expect(runs[0]).toMatchObject({ kind: 'predict', settings: { topK: 3 }, checkpoint: worker.model.contentHash })
      }
    } finally {
      await store.close()
    }
    // cancelling a finished sweep keeps its results
    expect(value(await call('sweeps.cancel', { redis: redis.url, queue: 'app', sweepId: meta.sweepId }))).toMatchObject({
      removed: 0,
      completed: 3,
      stillActive: 0,
    })
  })

  it('bad input is a typed error in bounded time', { timeout: 60_000 }, async () => {
    const call = app('bad.sqlite')
    const nowhere = `redis://127.0.0.1:${await freePort()}`
    const port = new URL(locked.url).port
    const cases: [string, unknown, string][] = [
      ['sweeps.list', { redis: nowhere }, 'queue'],
      ['sweeps.submit', { redis: nowhere, document: sweepDoc }, 'queue'],
      ['sweeps.status', { redis: `redis://:wrong@127.0.0.1:${port}`, sweepId: 'sw1' }, 'unauthorized'],
      ['sweeps.list', { redis: `redis://127.0.0.1:${port}` }, 'unauthorized'],
      ['sweeps.list', { redis: 'http://x' }, 'bad-request'],
      ['sweeps.list', { redis: redis.url, queue: 'a:b' }, 'bad-request'],
      ['sweeps.status', { redis: redis.url, sweepId: 'x:y' }, 'bad-request'],
      ['sweeps.status', { redis: redis.url, queue: 'app', sweepId: 'swnothere' }, 'not-found'],
      ['sweeps.cancel', { redis: redis.url, queue: 'app', sweepId: 'swnothere' }, 'not-found'],
      ['sweeps.submit', { redis: redis.url, document: { ...sweepDoc, version: 9 } }, 'bad-request'],
      ['sweeps.submit', { redis: redis.url, document: { ...sweepDoc, request: { text: '' } } }, 'bad-request'],
      ['sweeps.submit', { redis: redis.url, document: 'not a sweep' }, 'bad-request'],
      ['sweeps.submit', { redis: redis.url, document: { ...sweepDoc, checkpoint: join(dir, 'no-such-checkpoint') } }, 'not-found'],
    ]
    for (const [method, request, code] of cases)
      expect(codeOf(await call(method, request)), `${method} ${JSON.stringify(request)}`).toBe(code)
    expect(value<{ sweeps: unknown[] }>(await call('sweeps.list', { redis: locked.url })).sweeps).toEqual([])
  })
})
