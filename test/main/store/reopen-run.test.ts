import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ExperimentStore } from '../../../src/main/store/experiment-store'
import { reopenRun } from '../../../src/main/store/reopen-run'
import { fakeRunner } from './helpers/fake-runner'
import { dbPath, sampleEdits, tempDir } from './helpers/temp-db'

let tmp: ReturnType<typeof tempDir>
let store: ExperimentStore
beforeEach(async () => {
  tmp = tempDir('reopen-')
  store = await ExperimentStore.open(dbPath(tmp.dir))
})
afterEach(async () => {
  await store.close()
  tmp.cleanup()
})

describe('reopenRun', () => {
  it('re-runs with the edits the run was recorded with, even after the experiment changed', async () => {
    const runner = fakeRunner()
    const e = await store.save({ name: 'e', edits: sampleEdits(0) })
    const run = await store.addRun(
      e.id,
      await runner.run({ kind: 'predict', inputs: { text: 'The nurse' }, settings: { topK: 3 } }, e.edits),
    )
    await store.update(e.id, { edits: sampleEdits(5) }) // later edits must not change what the run means
    const r = await reopenRun(store, run.id, runner)
    expect(r.reproduced).toBe(true)
    expect(r.blobs.maxAbsDiff).toBe(0)
  })

  it('reports what differs when the outputs are not reproduced', async () => {
    const runner = fakeRunner()
    const e = await store.save({ name: 'e', edits: sampleEdits(0) })
    const honest = await runner.run({ kind: 'predict', inputs: { text: 'The nurse' }, settings: {} }, e.edits)
    const data = Float32Array.from(honest.blobs!.logprobs.data)
    data[2] += 0.01
    const run = await store.addRun(e.id, { ...honest, blobs: { logprobs: { ...honest.blobs!.logprobs, data } } })
    const r = await reopenRun(store, run.id, runner)
    expect(r.reproduced).toBe(false)
    expect(r.blobs.mismatches).toEqual([expect.stringMatching(/^\$\.logprobs\.data\[2\]/)])
    expect(r.blobs.maxAbsDiff).toBeCloseTo(0.01, 5)
    expect(r.outputs.equal).toBe(true)
  })

  it('counts last-bit float32 differences as reproduced also in large metrics (rtol), but not real changes', async () => {
    const runner = fakeRunner()
    const e = await store.save({ name: 'e', edits: sampleEdits(0) })
    const honest = await runner.run({ kind: 'predict', inputs: { text: 'The nurse' }, settings: {} }, e.edits)
    const perplexity = Math.exp(-honest.metrics.meanLogProb) * 1e6 // a value that large comes from a tiny random model
    const stored = await store.addRun(e.id, { ...honest, metrics: { ...honest.metrics, perplexity: perplexity * (1 + 4e-6) } })
    const large: typeof runner = {
      ...runner,
      run: async (spec, edits) => {
        const r = await runner.run(spec, edits)
        return { ...r, metrics: { ...r.metrics, perplexity } }
      },
    }
    const r = await reopenRun(store, stored.id, large)
    expect(r.metrics.maxAbsDiff).toBeGreaterThan(1e-5) // an absolute tolerance alone would fail it
    expect(r).toMatchObject({ reproduced: true, atol: 1e-5, rtol: 1e-5 })
    expect((await reopenRun(store, stored.id, large, { rtol: 0 })).reproduced).toBe(false)
    const changed = await store.addRun(e.id, { ...honest, metrics: { ...honest.metrics, perplexity: perplexity * 1.001 } })
    expect((await reopenRun(store, changed.id, large)).metrics.mismatches).toEqual([expect.stringMatching(/^\$\.perplexity: /)])
  })

  it('refuses a run of another checkpoint', async () => {
    const e = await store.save({ name: 'e', edits: sampleEdits(0) })
    const run = await store.addRun(
      e.id,
      await fakeRunner('cd'.repeat(32)).run({ kind: 'predict', inputs: { text: 'x' }, settings: {} }, e.edits),
    )
    await expect(reopenRun(store, run.id, fakeRunner('ab'.repeat(32)))).rejects.toMatchObject({ code: 'bad-request' })
  })
})
