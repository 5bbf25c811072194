import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { compareExperiments } from '../../../../src/main/store/compare-experiments'
import { ExperimentStore } from '../../../../src/main/store/experiment-store'
import { exportRunArrays } from '../../../../src/main/store/export-run-arrays'
import { schemaVersion } from '../../../../src/main/store/migrate-database'
import { SCHEMA_VERSION } from '../../../../src/main/store/migrations'
import { runsOfEveryKind } from '../../../helpers/run-factories'
import { dbPath, sampleEdits, tempDir } from '../helpers/temp-db'
import { insertOldRun } from './helpers-old-rows'

let tmp: ReturnType<typeof tempDir>
beforeEach(() => {
  tmp = tempDir('old-kinds-')
})
afterEach(() => tmp.cleanup())

/**
 * Runs of every kind need no schema change (kind is free text, outputs JSON, arrays in run_blobs):
 * a database an older app wrote, holding only predict runs, is upgraded in place, keeps every run,
 * and takes, compares and exports runs of every kind beside them.
 */
describe('a database from before runs of every kind', () => {
  for (const from of [1, 2]) {
    it(`schema ${from}: upgraded in place, its runs kept, new kinds added, compared and exported`, async () => {
      const path = dbPath(tmp.dir)
      const old = await ExperimentStore.open(path, { targetVersion: from })
      const a = await old.save({ name: 'old predict', edits: sampleEdits(0) })
      const blob = Float32Array.from([-1.25, -2.5])
      const oldRun = await insertOldRun(old.database, a.id, {
        uid: 'old-1',
        text: 'The nurse said',
        edits: a.edits,
        metrics: { top1Prob: 0.25, meanLogProb: -1.875 },
        blob,
      })
      await old.close()

      const now = await ExperimentStore.open(path)
      try {
        expect(await schemaVersion(now.database)).toBe(SCHEMA_VERSION)
        const kept = await now.getRun(oldRun)
        expect(kept).toMatchObject({
          uid: 'old-1',
          kind: 'predict',
          inputs: { text: 'The nurse said' },
          metrics: { top1Prob: 0.25, meanLogProb: -1.875 },
          edits: a.edits,
        })
        expect(Array.from(kept.blobs.logProbs.data)).toEqual([-1.25, -2.5])

        const b = await now.save({ name: 'every kind', edits: sampleEdits(0.5) })
        for (const run of runsOfEveryKind(0.05, [' that', ' he', ' was'])) await now.addRun(b.id, run)
        await now.addRun(a.id, runsOfEveryKind(0)[9]) // an evaluation beside the old prediction
        expect((await now.get(a.id)).runCount).toBe(2)

        const c = await compareExperiments(now, [a.id, b.id])
        expect(
          c.outputs.find((r) => r.prompt.text === 'The nurse said' && r.prompt.kind === 'predict')!.cells.map((x) => x !== null),
        ).toEqual([true, false])
        const ev = c.details.find((d) => d.prompt.kind === 'evaluate')!
        expect(ev.rows.find((r) => r.item === 'a.txt' && r.field === 'meanLogProb')!.deltas![1]).toBeCloseTo(-0.05, 12)
        expect((await exportRunArrays(now, oldRun)).index.arrays.logProbs).toMatchObject({ dtype: 'float32', shape: [2], source: 'blob' })
        expect(await now.database.all('PRAGMA integrity_check')).toEqual([{ integrity_check: 'ok' }])
      } finally {
        await now.close()
      }
    })
  }
})
