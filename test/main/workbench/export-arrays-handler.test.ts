import { unzipSync } from 'fflate'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createDispatcher, type Dispatch } from '../../../src/main/workbench/create-dispatcher'
import { ExperimentStore } from '../../../src/main/store/experiment-store'
import { experimentHandlers } from '../../../src/main/workbench/experiment-handlers'
import type { ExportedRunArrays } from '../../../src/shared/store/run-array-types'
import { evaluateRunOf } from '../../helpers/run-factories'
import { dbPath, sampleEdits, tempDir } from '../store/helpers/temp-db'

let tmp: ReturnType<typeof tempDir>
let store: ExperimentStore
let dispatch: Dispatch
beforeEach(async () => {
  tmp = tempDir('arrays-api-')
  store = await ExperimentStore.open(dbPath(tmp.dir))
  const none = async (): Promise<never> => {
    throw new Error('no model in this test')
  }
  const handlers = experimentHandlers({
    store: async () => store,
    session: () => null,
    origin: none,
    answer: none,
    runner: async () => undefined,
  })
  dispatch = createDispatcher(handlers as Parameters<typeof createDispatcher>[0])
})
afterEach(async () => {
  await store.close()
  tmp.cleanup()
})

describe('experiments.exportArrays', () => {
  it("answers a run's .npz as base64 with its file name and index; bad or unknown ids are typed errors", async () => {
    const e = await store.save({ name: 'eval', edits: sampleEdits(0) })
    const run = await store.addRun(e.id, evaluateRunOf([{ name: 'a.txt', text: 'One two.' }]))
    const res = (await dispatch('experiments.exportArrays', { runId: run.id })) as { ok: true; value: ExportedRunArrays }
    expect(res.ok).toBe(true)
    expect(res.value.fileName).toBe(`run-${run.id}.npz`)
    expect(res.value.index.arrays.logProbs).toMatchObject({ dtype: 'float32', shape: [3], source: 'blob' })
    const members = unzipSync(Buffer.from(res.value.base64, 'base64'))
    expect(Object.keys(members)).toContain('logProbs.npy')
    expect(await dispatch('experiments.exportArrays', { runId: run.id + 100 })).toMatchObject({ ok: false, error: { code: 'not-found' } })
    for (const bad of [{}, { runId: 0 }, { runId: 'x' }, { runId: 1.5 }, { runId: 1, extra: true }]) {
      expect(await dispatch('experiments.exportArrays', bad as never)).toMatchObject({ ok: false, error: { code: 'bad-request' } })
    }
  })
})
