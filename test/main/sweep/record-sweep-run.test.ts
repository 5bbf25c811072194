import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { predictRecipe } from '../../../src/main/runs/predict-recipe'
import { recordRun } from '../../../src/main/runs/record-run'
import type { PredictResponse } from '../../../src/shared/ipc/api-types'
import { ExperimentStore } from '../../../src/main/store/experiment-store'
import { recordSweepRun, type SweepRunRecord } from '../../../src/main/sweep/record-sweep-run'
import { dbPath, sampleEdits, tempDir } from '../store/helpers/temp-db'

/** Writing a sweep job's result is idempotent: the same job recorded again, by any process, writes nothing. */
let tmp: ReturnType<typeof tempDir>
beforeEach(() => {
  tmp = tempDir('sweep-record-')
})
afterEach(() => tmp.cleanup())

const HASH = 'a'.repeat(64)
const prediction: PredictResponse = {
  tokens: [
    { id: 464, text: 'The', start: 0, end: 3 },
    { id: 15849, text: ' nurse', start: 3, end: 9 },
  ],
  next: [{ id: 531, text: ' said', logit: 3, prob: 0.4 }],
  logProbs: [{ position: 1, id: 15849, text: ' nurse', logProb: -4.5, rank: 7, alternatives: [] }],
  edited: false,
  timingsMs: { forward: 1 },
}
const record = (sweepId: string, index: number): SweepRunRecord => ({
  sweepId,
  index,
  name: `job ${index}`,
  tags: [`sweep:${sweepId}`],
  checkpointHash: HASH,
  edits: sampleEdits(index),
  run: (edits) =>
    recordRun(
      predictRecipe,
      { text: 'The nurse', topK: 1 },
      prediction,
      { appVersion: 't', runtimeVersion: null, executionProvider: 'cpu', checkpoint: HASH },
      edits,
      2,
    ),
})

describe('recordSweepRun', () => {
  it('records each job once, however often and from however many stores it is recorded', async () => {
    const path = dbPath(tmp.dir)
    const a = await ExperimentStore.open(path)
    const b = await ExperimentStore.open(path)
    try {
      const first = await recordSweepRun(a, record('swone', 0))
      expect(first.created).toBe(true)
      const again = await Promise.all([recordSweepRun(a, record('swone', 0)), recordSweepRun(b, record('swone', 0))])
      expect(again.map((r) => [r.experimentId, r.runId, r.created])).toEqual([
        [first.experimentId, first.runId, false],
        [first.experimentId, first.runId, false],
      ])
      // another job, and the same index of another sweep, are new experiments
      const other = await recordSweepRun(b, record('swone', 1))
      const otherSweep = await recordSweepRun(b, record('swtwo', 0))
      expect(new Set([first.experimentId, other.experimentId, otherSweep.experimentId]).size).toBe(3)
      expect((await a.list({ tags: ['sweep:swone'] })).total).toBe(2)
      expect(await a.runs(first.experimentId)).toHaveLength(1)
      const run = await a.getRun(first.runId)
      expect(run).toMatchObject({
        kind: 'predict',
        checkpoint: HASH,
        metrics: { top1Prob: 0.4, meanLogProb: -4.5 },
        inputs: { text: 'The nurse', ids: [464, 15849] },
      })
      expect(Array.from(run.blobs.logProbs.data)).toEqual([-4.5])
    } finally {
      await a.close()
      await b.close()
    }
  })

  it('an experiment left without its run (a write that stopped between the two) gets the run, once', async () => {
    const store = await ExperimentStore.open(dbPath(tmp.dir))
    try {
      const first = await recordSweepRun(store, record('swthree', 0))
      await store.database.run('DELETE FROM runs WHERE id = ?', [first.runId])
      const healed = await recordSweepRun(store, record('swthree', 0))
      expect(healed).toMatchObject({ experimentId: first.experimentId, created: true })
      expect(await store.runs(first.experimentId)).toHaveLength(1)
      expect((await recordSweepRun(store, record('swthree', 0))).created).toBe(false)
    } finally {
      await store.close()
    }
  })
})
