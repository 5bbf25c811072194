import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openSenseTable } from '../../../src/main/senses/sense-table'
import { ModelSession } from '../../../src/main/session/model-session'
import { buildSenseTableOnWorkers } from '../../../src/main/sweep/sense-table-shards'
import { SweepQueue } from '../../../src/main/sweep/sweep-queue'
import { useTempCache } from '../../cli/cli-harness'
import { startRedis, type TestRedis } from './helpers/redis-server'
import { startWorker, stopWorker, TINY, type WorkerProcess } from './helpers/worker-process'

/**
 * The whole-vocabulary sense table built by two real worker processes over a real redis-server is
 * the local build, byte for byte (every file of the table folder). The 'scores' phase goes through
 * the same path, but scoring the tiny fixture's whole vocabulary three times (local and two
 * workers) takes too long for this suite.
 */
useTempCache('sense-shards-')
let redis: TestRedis
let dir: string
const workers: WorkerProcess[] = []

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sense-shards-out-'))
  redis = await startRedis()
})
afterAll(async () => {
  await Promise.all(workers.map((w) => stopWorker(w)))
  await redis?.stop()
  rmSync(dir, { recursive: true, force: true })
})

const files = (d: string) =>
  Object.fromEntries(
    readdirSync(d)
      .filter((f) => !f.endsWith('.lock'))
      .sort()
      .map((f) => [f, readFileSync(join(d, f))]),
  )

describe('sharded sense table', () => {
  it('two workers build the same files as the local build', { timeout: 240_000 }, async () => {
    workers.push(startWorker(redis.url, ['--queue', 'table']), startWorker(redis.url, ['--queue', 'table']))
    await Promise.all(workers.map((w) => w.waitFor((e) => e.event === 'ready')))
    const session = await ModelSession.open({ checkpointDir: TINY })
    const q = await SweepQueue.open(redis.url, 'table')
    try {
      {
        const need = 'senses'
        const local = join(dir, `local-${need}`)
        const sharded = join(dir, `sharded-${need}`)
        await openSenseTable(session.engine, { dir: local, need })
        const progress: number[] = []
        const built = await buildSenseTableOnWorkers(q, {
          checkpointDir: TINY,
          need,
          dir: sharded,
          chunksPerJob: 4,
          onProgress: (p) => progress.push(p.done),
        })
        expect(built.jobs).toBe(13) // 50 264 tokens in chunks of 1024, 4 chunks a job
        expect(progress.at(-1)).toBe(13)
        const a = files(local)
        const b = files(sharded)
        expect(Object.keys(b)).toEqual(Object.keys(a))
        for (const f of Object.keys(a)) expect(b[f].equals(a[f]), `${need}: ${f} differs`).toBe(true)
        expect(built.table.norms).toEqual((await openSenseTable(session.engine, { dir: local, need })).norms)
      }
      // both workers took jobs
      const took = workers.map((w) => w.events.filter((e) => e.event === 'completed').length)
      expect(
        took.every((n) => n > 0),
        String(took),
      ).toBe(true)
    } finally {
      await q.close()
      await session.dispose()
    }
  })

  it('with no worker serving the queue, the wait ends in a `queue` error when its time runs out', { timeout: 60_000 }, async () => {
    const q = await SweepQueue.open(redis.url, 'nobody')
    try {
      await expect(
        buildSenseTableOnWorkers(q, { checkpointDir: TINY, dir: join(dir, 'never'), timeoutMs: 300, pollMs: 50 }),
      ).rejects.toMatchObject({ code: 'queue' })
    } finally {
      await q.close()
    }
  })
})
