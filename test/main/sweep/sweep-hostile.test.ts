import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Queue } from 'bullmq'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ExperimentStore } from '../../../src/main/store/experiment-store'
import { redisOptions } from '../../../src/main/sweep/redis-connection'
import { failedCode, SweepQueue } from '../../../src/main/sweep/sweep-queue'
import { cli, useTempCache } from '../../cli/cli-harness'
import { freePort, startRedis, type TestRedis } from './helpers/redis-server'
import { freezeWhileHolding, submittedSweep } from './helpers/sweep-probe'
import { cliProcess, startWorker, stopWorker, TINY, workerName, type WorkerProcess } from './helpers/worker-process'

/**
 * Bad input to sweeps, each answered by a typed error or a retry in bounded time: an unreachable
 * Redis, wrong credentials, malformed sweep documents, jobs no worker may run, a Redis lost mid-job.
 */
const cache = useTempCache('sweep-hostile-')
let redis: TestRedis
let locked: TestRedis
let worker: WorkerProcess | undefined
const code = (stderr: string) => /error\[([a-z-]+)\]/.exec(stderr)?.[1]

beforeAll(async () => {
  redis = await startRedis()
  locked = await startRedis({ password: 's3cret pass' })
})
afterAll(async () => {
  worker?.proc.kill('SIGCONT')
  await stopWorker(worker)
  await redis?.stop()
  await locked?.stop()
})

function spec(doc: unknown): string {
  const path = join(cache(), `spec-${Math.random().toString(36).slice(2)}.json`)
  writeFileSync(path, typeof doc === 'string' ? doc : JSON.stringify(doc))
  return path
}
const good = {
  format: 'backpack-sweep',
  version: 1,
  name: 'x',
  checkpoint: TINY,
  kind: 'predict',
  request: { text: 'The nurse said' },
  edits: [{ format: 'backpack-sense-edits', version: 1, edits: [] }],
}

describe('sweeps on bad input', () => {
  it('an unreachable Redis is a `queue` error for every command', { timeout: 60_000 }, async () => {
    const url = `redis://127.0.0.1:${await freePort()}`
    for (const args of [
      ['sweep', 'status', 'sw1'],
      ['sweep', 'cancel', 'sw1'],
      ['sweep', 'run', '--spec', spec(good)],
      ['sweep', 'table'],
      ['worker'],
    ]) {
      const r = await cli([...args, '--redis', url])
      expect(r.code, args.join(' ')).toBe(1)
      expect(code(r.stderr)).toBe('queue')
    }
  })

  it('wrong or missing credentials are `unauthorized`; the right ones get through', async () => {
    const port = new URL(locked.url).port
    for (const url of [`redis://:wrong@127.0.0.1:${port}`, `redis://127.0.0.1:${port}`]) {
      for (const args of [['sweep', 'status', 'sw1'], ['worker']]) {
        const r = await cli([...args, '--redis', url])
        expect(r.code).toBe(1)
        expect(code(r.stderr)).toBe('unauthorized')
        expect(r.stderr).not.toContain('s3cret')
      }
    }
    expect(code((await cli(['sweep', 'status', 'sw1', '--redis', locked.url])).stderr)).toBe('not-found')
  })

  it('malformed sweep documents and flags are `bad-request` (exit 2) naming the path', async () => {
    const cases: [unknown, string][] = [
      ['{"format": ', ''],
      [{ ...good, format: 'backpack-sense-edits' }, 'format'],
      [{ ...good, version: 2 }, 'version'],
      [{ ...good, kind: 'evaluate' }, 'kind'],
      [{ ...good, request: { text: '' } }, 'request.text'],
      [{ ...good, request: { text: 'x', topK: 0 } }, 'request.topK'],
      [{ ...good, request: { text: 'x', edits: good.edits[0] } }, 'request'],
      [{ ...good, edits: [] }, 'edits'],
      [
        {
          ...good,
          edits: [{ format: 'backpack-sense-edits', version: 1, edits: [{ kind: 'scale-sense', token: ' nurse', factor: 'zero' }] }],
        },
        'edits.0.edits.0',
      ],
      [{ ...good, grid: { kind: 'scale-sense', token: ' nurse', senses: 'all', factors: [0] } }, 'exactly one'],
      [{ ...good, edits: undefined, grid: { kind: 'scale-sense', token: ' nurse', senses: [99], factors: [0] } }, 'grid.senses'],
      [{ ...good, edits: undefined, grid: { kind: 'scale-sense', token: ' nurse', senses: 'all', factors: [] } }, 'grid.factors'],
      [[good], ''],
      [null, ''],
    ]
    for (const [doc, path] of cases) {
      const r = await cli(['sweep', 'run', '--spec', spec(doc), '--redis', redis.url, '--db', join(cache(), 'bad.sqlite')])
      expect(r.code, JSON.stringify(doc)).toBe(2)
      expect(code(r.stderr)).toBe('bad-request')
      expect(r.stderr).toContain(path)
    }
    expect(code((await cli(['sweep', 'run', '--spec', join(cache(), 'missing.json'), '--redis', redis.url])).stderr)).toBe('not-found')
    // an unknown checkpoint is refused before anything is queued
    const unknown = await cli([
      'sweep',
      'run',
      '--spec',
      spec({ ...good, checkpoint: join(cache(), 'no-such-checkpoint') }),
      '--redis',
      redis.url,
      '--db',
      join(cache(), 'bad.sqlite'),
    ])
    expect(unknown.code).toBe(1)
    expect(code(unknown.stderr)).toBe('not-found')
    const q = await SweepQueue.open(redis.url, 'backpack-sweeps')
    expect(await q.queue.count()).toBe(0)
    await q.close()
    // kinds: a suite without its method, a lookup with edits, a generate request greedy with a temperature
    for (const doc of [
      { ...good, kind: 'suite', request: {} },
      {
        ...good,
        kind: 'senses',
        method: 'senses.lookup',
        request: { word: 'nurse' },
        edits: [{ format: 'backpack-sense-edits', version: 1, edits: [{ kind: 'scale-sense', token: ' nurse', sense: 0, factor: 0 }] }],
      },
      { ...good, kind: 'generate', request: { text: 'x', temperature: 0.5 } },
    ]) {
      const r = await cli(['sweep', 'run', '--spec', spec(doc), '--redis', redis.url, '--db', join(cache(), 'bad.sqlite')])
      expect(r.code, JSON.stringify(doc)).toBe(2)
      expect(code(r.stderr)).toBe('bad-request')
    }
    for (const args of [
      ['sweep'],
      ['sweep', 'status'],
      ['sweep', 'status', 'x:y'],
      ['sweep', 'run', '--redis', redis.url],
      ['sweep', 'status', 'sw1', '--redis', 'http://x'],
      ['sweep', 'status', 'sw1', '--redis', redis.url, '--queue', 'a:b'],
      ['worker', '--redis', redis.url, '--concurrency', '0'],
      ['worker', '--redis', redis.url, '--provider', 'gpu9'],
    ]) {
      const r = await cli(args)
      expect(r.code, args.join(' ')).toBe(2)
      expect(code(r.stderr)).toBe('bad-request')
    }
  })

  it(
    'a worker refuses jobs for another checkpoint and requests that can never succeed, without retrying them',
    { timeout: 120_000 },
    async () => {
      worker = startWorker(redis.url, ['--queue', 'refusals'])
      const ready = await worker.waitFor((e) => e.event === 'ready')
      const connection = new Redis({ ...redisOptions(redis.url), maxRetriesPerRequest: null })
      const queue = new Queue('refusals', { connection })
      const base = {
        sweepId: 'swtest',
        method: 'predict.next',
        checkpointHash: ready.checkpoint as string,
        request: { text: 'The nurse said' },
      }
      const jobs = [
        { data: { ...base, index: 0, checkpointHash: 'f'.repeat(64) }, expect: 'checkpoint-mismatch' },
        {
          data: {
            ...base,
            index: 1,
            request: {
              text: 'x',
              edits: {
                format: 'backpack-sense-edits',
                version: 1,
                edits: [{ kind: 'scale-sense', token: ' nurse', sense: 99, factor: 0 }],
              },
            },
          },
          expect: 'edit-invalid',
        },
        { data: { ...base, index: 2, request: { text: 'x', topK: 'ten' } }, expect: 'bad-request' },
        { data: { ...base, index: 3, method: 'experiments.delete', request: { id: 1 } }, expect: 'bad-request' },
        { data: { ...base, index: 4, request: { text: 'The nurse said '.repeat(300) } }, expect: 'too-long' },
      ]
      try {
        for (const j of jobs)
          await queue.add('job', j.data, { jobId: `swtest-${j.data.index}`, attempts: 3, backoff: { type: 'fixed', delay: 500 } })
        for (const j of jobs) {
          const id = `swtest-${j.data.index}`
          for (let tries = 0; (await queue.getJobState(id)) !== 'failed'; tries++) {
            expect(tries, `job ${id} never failed`).toBeLessThan(600)
            await new Promise((r) => setTimeout(r, 100))
          }
          const job = (await queue.getJob(id))!
          expect(failedCode(job.failedReason)).toBe(j.expect)
          expect(job.attemptsMade).toBe(1) // failed at once: no retry
        }
      } finally {
        await queue.close()
        connection.disconnect()
      }
      await stopWorker(worker)
      expect((await worker.exited).code).toBe(0)
      worker = undefined
    },
  )

  it(
    'SIGTERM mid-job: the worker finishes and stores its job, then exits; another worker does the rest',
    { timeout: 240_000 },
    async () => {
      worker = startWorker(redis.url, ['--queue', 'sigterm'])
      await worker.waitFor((e) => e.event === 'ready')
      const edits = [0, 1, 2, 3].map((factor) => ({
        format: 'backpack-sense-edits',
        version: 1,
        edits: [{ kind: 'scale-sense', token: ' doctor', sense: 0, factor }],
      }))
      const run = cliProcess([
        'sweep',
        'run',
        '--redis',
        redis.url,
        '--queue',
        'sigterm',
        '--spec',
        spec({ ...good, edits }),
        '--db',
        join(cache(), 'sigterm.sqlite'),
      ])
      const q = await SweepQueue.open(redis.url, 'sigterm')
      const meta = await submittedSweep(q)
      const held = await freezeWhileHolding(q, meta, worker)
      const name = workerName(worker)
      worker.proc.kill('SIGTERM')
      worker.proc.kill('SIGCONT')
      expect(await worker.exited).toEqual({ code: 0, signal: null })
      const states = await q.jobs(meta, held)
      expect(states.map((s) => [s.state, s.job?.processedBy, s.job?.stalledCounter])).toEqual(held.map(() => ['completed', name, 0]))
      worker = startWorker(redis.url, ['--queue', 'sigterm'])
      const res = await run
      await q.close()
      expect(res.code, res.stderr.slice(-500)).toBe(0)
      expect(res.json()).toMatchObject({ jobs: 4, completed: 4, failed: 0 })
      await stopWorker(worker)
      worker = undefined
    },
  )

  it('a worker that loses Redis mid-job: the sweep finishes once Redis is back, every job stored once', { timeout: 240_000 }, async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sweep-aof-'))
    const durable = await startRedis({ dir: dataDir }) // append-only file: the jobs survive the outage
    try {
      worker = startWorker(durable.url)
      await worker.waitFor((e) => e.event === 'ready')
      const text = 'The nurse said that the doctor was late again. '.repeat(6)
      const edits = [0, 0.5, 1, 2, 3, 4].map((factor) => ({
        format: 'backpack-sense-edits',
        version: 1,
        edits: [{ kind: 'scale-sense', token: ' nurse', sense: 2, factor }],
      }))
      const db = join(cache(), 'outage.sqlite')
      const run = cliProcess(['sweep', 'run', '--redis', durable.url, '--spec', spec({ ...good, request: { text }, edits }), '--db', db])
      const q = await SweepQueue.open(durable.url, 'backpack-sweeps')
      const meta = await submittedSweep(q)
      await freezeWhileHolding(q, meta, worker)
      await q.close()
      await durable.kill() // Redis dies while the worker holds a job
      worker.proc.kill('SIGCONT') // the worker finishes its job with no Redis to report to
      await worker.waitFor((e) => e.event === 'redis-error')
      await new Promise((r) => setTimeout(r, 1000))
      await durable.restart()
      const res = await run
      expect(res.code, res.stderr.slice(-500)).toBe(0)
      expect(res.json()).toMatchObject({ jobs: 6, completed: 6, failed: 0 })
      const store = await ExperimentStore.open(db)
      try {
        const ids = res.json().experiments as number[]
        expect(new Set(ids).size).toBe(6)
        for (const id of ids) expect(await store.runs(id)).toHaveLength(1)
        expect((await store.list({ tags: [`sweep:${meta.sweepId}`] })).total).toBe(6)
      } finally {
        await store.close()
      }
    } finally {
      await stopWorker(worker)
      worker = undefined
      await durable.stop()
      rmSync(dataDir, { recursive: true, force: true })
    }
  })
})
