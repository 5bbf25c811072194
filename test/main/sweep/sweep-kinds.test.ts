import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WorkbenchError } from '../../../src/shared/errors'
import type { SaveableMethod } from '../../../src/shared/ipc/request-schemas'
import { parseSweepDocument } from '../../../src/shared/sweep/sweep-document'
import { parseRequest } from '../../../src/shared/ipc/parse-request'
import type { RunRecipe } from '../../../src/main/runs/run-recipe'
import { ExperimentStore } from '../../../src/main/store/experiment-store'
import { followSweep } from '../../../src/main/sweep/follow-sweep'
import { submitSweep } from '../../../src/main/sweep/submit-sweep'
import { decodeRun, encodeRun } from '../../../src/main/sweep/sweep-run-codec'
import { SweepQueue } from '../../../src/main/sweep/sweep-queue'
import { startSweepWorker, type RunningSweepWorker } from '../../../src/main/queue-worker/sweep-worker'
import type { RecipeLookup } from '../../../src/main/sweep/sweep-run-record'
import { Workbench } from '../../../src/main/workbench/workbench'
import { useTempCache } from '../../cli/cli-harness'
import { startRedis, type TestRedis } from './helpers/redis-server'
import { TINY } from './helpers/worker-process'

/**
 * Any saveable method runs as a sweep job through the worker's handler table and is recorded with
 * that method's recipe. The registry has no generate recipe in this build, so this test defines
 * one; a method without a recipe (other than the interim predict path) fails at once, unretried.
 */
const cache = useTempCache('sweep-kinds-')
let redis: TestRedis
let worker: RunningSweepWorker | undefined

const generateRecipe: RunRecipe<'generate.run'> = {
  method: 'generate.run',
  kind: 'generate',
  matches: () => true,
  spec: ({ edits: _e, runId: _r, text, ...settings }) => ({ kind: 'generate', inputs: { text }, settings }),
  request: (spec) => ({ ...spec.inputs, ...spec.settings }),
  record: (_request, response) => ({
    outputs: { text: response.edited?.text ?? response.baseline.text, firstDifference: response.firstDifference },
    metrics: { tokens: response.baseline.tokens.length },
    blobs: {
      ids: { dtype: 'int32', shape: [response.baseline.tokens.length], data: Int32Array.from(response.baseline.tokens.map((t) => t.id)) },
      // a leading -Infinity, as a padding position's log-prob would be
      logProbs: {
        dtype: 'float32',
        shape: [response.baseline.tokens.length + 1],
        data: Float32Array.from([-Infinity, ...response.baseline.tokens.map((t) => t.logProb)]),
      },
    },
  }),
}
const recipes: RecipeLookup = <M extends SaveableMethod>(method: M) => {
  if (method === 'generate.run') return generateRecipe as unknown as RunRecipe<M>
  throw new WorkbenchError('unavailable', `runs of ${method} cannot be saved yet`)
}

beforeAll(async () => {
  redis = await startRedis()
  worker = await startSweepWorker({
    redis: redis.url,
    queue: 'kinds',
    concurrency: 1,
    checkpoint: TINY,
    lockMs: 10_000,
    appVersion: 'test',
    log: () => undefined,
    recipes,
  })
}, 120_000)
afterAll(async () => {
  await worker?.close()
  await redis?.stop()
})

const edit = (factor: number) => ({
  format: 'backpack-sense-edits',
  version: 1,
  name: `nurse × ${factor}`,
  edits: [{ kind: 'scale-sense', token: ' nurse', sense: 1, factor }],
})

describe('sweeps of every kind', () => {
  it(
    'a generate sweep: each job run by the worker, recorded with the recipe, equal to the same call made locally',
    { timeout: 180_000 },
    async () => {
      const doc = parseSweepDocument({
        format: 'backpack-sweep',
        version: 1,
        name: 'gen',
        checkpoint: TINY,
        kind: 'generate',
        request: { text: 'The nurse said', maxNewTokens: 4 },
        edits: [edit(0), edit(3)],
      })
      const q = await SweepQueue.open(redis.url, 'kinds')
      const store = await ExperimentStore.open(join(cache(), 'kinds.sqlite'))
      const local = new Workbench({ transport: 'worker', version: 'test' })
      try {
        const submitted = await submitSweep(q, doc, join(cache(), 'sweep.json'))
        const summary = await followSweep(q, submitted.meta, {
          store,
          checkpoint: { dir: submitted.checkpointDir, config: submitted.config },
          timeoutMs: 120_000,
        })
        expect(summary).toMatchObject({ jobs: 2, completed: 2, failed: 0 })
        await local.load(TINY)
        for (const [i, id] of summary.experiments.entries()) {
          const runs = await store.runs(id)
          expect(runs).toHaveLength(1)
          const run = await store.getRun(runs[0].id)
          const request = parseRequest('generate.run', { text: 'The nurse said', maxNewTokens: 4, edits: edit([0, 3][i]) })
          const made = generateRecipe.record(request, await local.handlers()['generate.run'](request))
          expect(run).toMatchObject({
            kind: 'generate',
            inputs: { text: 'The nurse said' },
            settings: { maxNewTokens: 4, strategy: 'greedy' },
            checkpoint: worker!.model.contentHash,
            appVersion: 'test',
          })
          expect(run.outputs).toEqual(made.outputs)
          expect(run.metrics).toEqual(made.metrics)
          expect(run.blobs).toEqual(made.blobs)
          expect(run.blobs.logProbs.data[0]).toBe(-Infinity)
          expect(run.edits.edits).toEqual(edit([0, 3][i]).edits)
        }
        // following again records nothing new
        const again = await followSweep(q, submitted.meta, { store, checkpoint: { dir: null, config: null } })
        expect(again.experiments).toEqual(summary.experiments)
        expect((await store.list({ limit: 100 })).total).toBe(2)
      } finally {
        await local.dispose()
        await store.close()
        await q.close()
      }
    },
  )

  it('a method with no recipe yet fails with `unavailable`, not retried, nothing recorded', { timeout: 120_000 }, async () => {
    const doc = parseSweepDocument({
      format: 'backpack-sweep',
      version: 1,
      name: 'attr',
      checkpoint: TINY,
      kind: 'attribute',
      request: { text: 'The nurse said', position: 2, target: ' said' },
      edits: [edit(0)],
    })
    const q = await SweepQueue.open(redis.url, 'kinds')
    const store = await ExperimentStore.open(join(cache(), 'attr.sqlite'))
    try {
      const submitted = await submitSweep(q, doc, join(cache(), 'sweep.json'))
      const summary = await followSweep(q, submitted.meta, { store, checkpoint: { dir: null, config: null }, timeoutMs: 60_000 })
      expect(summary).toMatchObject({ jobs: 1, completed: 0, failed: 1, errors: [{ index: 0, code: 'unavailable' }] })
      const [state] = await q.jobs(submitted.meta)
      expect(state.job!.attemptsMade).toBe(1)
      expect((await store.list({ limit: 10 })).total).toBe(0)
    } finally {
      await store.close()
      await q.close()
    }
  })

  it('a run travels through Redis value for value: blobs, and numbers JSON cannot carry', () => {
    const run = {
      kind: 'x',
      inputs: { a: [1, NaN] },
      settings: {},
      outputs: { lp: -Infinity, up: Infinity, o: { $nonfinite: 3 } },
      metrics: { m: 0.5 },
      blobs: {
        f: { dtype: 'float32' as const, shape: [3], data: Float32Array.of(-Infinity, 0.1, 7) },
        u: { dtype: 'uint8' as const, shape: [2], data: Uint8Array.of(1, 255) },
      },
      appVersion: 'v',
      runtimeVersion: null,
      executionProvider: 'cpu',
      checkpoint: 'h',
    }
    expect(decodeRun(JSON.parse(JSON.stringify(encodeRun(run))))).toEqual(run)
    for (const bad of [undefined, 42, '{', '{"blobs":{}}', '{"kind":"x","blobs":{"b":{"dtype":"int8","base64":""}}}']) {
      expect(() => decodeRun(bad), String(bad)).toThrow(expect.objectContaining({ code: 'queue' }))
    }
  })
})
