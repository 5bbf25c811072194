import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ExperimentStore } from '../../../../src/main/store/experiment-store'
import { schemaVersion } from '../../../../src/main/store/migrate-database'
import { dbPath, sampleEdits, tempDir } from '../helpers/temp-db'
import { insertOldRun } from './helpers-old-rows'

let tmp: ReturnType<typeof tempDir>
beforeEach(() => {
  tmp = tempDir('mig3-')
})
afterEach(() => tmp.cleanup())

describe('migration 0003-dedupe-run-edits', () => {
  it('moves inline run edit documents into edit_documents without changing any run', async () => {
    const path = dbPath(tmp.dir)
    const v2 = await ExperimentStore.open(path, { targetVersion: 2 })
    const a = await v2.save({ name: 'A', edits: sampleEdits(0) })
    const b = await v2.save({ name: 'B', edits: sampleEdits(1) })
    const blob = Float32Array.from([-1.5, -2.25, Math.fround(Math.PI)])
    const runs: { id: number; edits: unknown; metrics: Record<string, number> }[] = []
    // 2500 runs (more than one migration batch), 3 distinct edit documents
    for (let i = 0; i < 2500; i++) {
      const edits = i % 3 === 0 ? a.edits : i % 3 === 1 ? b.edits : { ...sampleEdits(0.5), name: `variant` }
      const metrics = { i, top1Prob: i / 2500 }
      const id = await insertOldRun(v2.database, i % 2 ? a.id : b.id, {
        uid: `run-${i}`,
        text: `prompt ${i % 10}`,
        edits,
        metrics,
        ...(i % 500 === 0 ? { blob } : {}),
      })
      runs.push({ id, edits, metrics })
    }
    await v2.close()

    const v3 = await ExperimentStore.open(path, { targetVersion: 3 })
    try {
      expect(await schemaVersion(v3.database)).toBe(3)
      expect(await v3.database.get('SELECT count(*) AS n FROM edit_documents')).toEqual({ n: 3 })
      const columns = (await v3.database.all<{ name: string }>('PRAGMA table_info(runs)')).map((c) => c.name)
      expect(columns).toContain('edits_id')
      expect(columns).not.toContain('edits_json')
      for (const r of runs.filter((_, i) => i % 97 === 0 || i % 500 === 0)) {
        const back = await v3.getRun(r.id)
        expect(back.edits).toEqual(r.edits)
        expect(back.metrics).toEqual(r.metrics)
      }
      expect(Array.from((await v3.getRun(runs[500].id)).blobs.logProbs.data)).toEqual(Array.from(blob))
      expect(await v3.database.all('PRAGMA foreign_key_check')).toEqual([])
      expect(await v3.database.all('PRAGMA integrity_check')).toEqual([{ integrity_check: 'ok' }])

      // new runs reuse an existing document; purging the last user of one removes it
      const c = await v3.save({ name: 'C', edits: sampleEdits(7) })
      await v3.addRun(c.id, {
        kind: 'predict',
        inputs: { text: 'x' },
        settings: {},
        outputs: {},
        metrics: {},
        appVersion: 't',
        runtimeVersion: null,
        executionProvider: null,
        checkpoint: null,
      })
      await v3.addRun(a.id, {
        kind: 'predict',
        inputs: { text: 'y' },
        settings: {},
        outputs: {},
        metrics: {},
        appVersion: 't',
        runtimeVersion: null,
        executionProvider: null,
        checkpoint: null,
      })
      expect(await v3.database.get('SELECT count(*) AS n FROM edit_documents')).toEqual({ n: 4 })
      await v3.delete(c.id)
      await v3.purge(c.id)
      expect(await v3.database.get('SELECT count(*) AS n FROM edit_documents')).toEqual({ n: 3 })
    } finally {
      await v3.close()
    }
  })
})
