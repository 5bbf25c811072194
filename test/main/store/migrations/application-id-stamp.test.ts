import { readFileSync } from 'node:fs'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Database } from '../../../../src/main/store/database'
import { ExperimentStore } from '../../../../src/main/store/experiment-store'
import { LOG_APPLICATION_ID } from '../../../../src/main/store/log-file'
import { migrateDatabase, schemaVersion } from '../../../../src/main/store/migrate-database'
import { SCHEMA_VERSION } from '../../../../src/main/store/migrations/index'
import { dbPath, sampleEdits, tempDir } from '../helpers/temp-db'
import { insertOldRun } from './helpers-old-rows'

let tmp: ReturnType<typeof tempDir>
beforeEach(() => {
  tmp = tempDir('stamp-')
})
afterEach(() => tmp.cleanup())

/** A log as the app wrote it before the application id stamp: WAL, migrations up to `version`, application_id 0. */
async function preStampLog(path: string, version: number): Promise<Database> {
  const db = await Database.open(path)
  await db.get('PRAGMA journal_mode = WAL')
  await migrateDatabase(db, version)
  return db
}

const headerId = (path: string) => readFileSync(path).readUInt32BE(68)

describe('the application id stamp', () => {
  it('stamps a log made before the stamp existed (schema 2), migrates it, and keeps every row', async () => {
    const path = dbPath(tmp.dir)
    const old = await preStampLog(path, 2)
    const now = Date.UTC(2026, 0, 1)
    const { lastID: id } = await old.run(
      "INSERT INTO experiments (uid, name, notes, edits_json, edit_count, created_at, updated_at) VALUES ('u1', 'Nurse ablation', 'kept', ?, 2, ?, ?)",
      [JSON.stringify(sampleEdits()), now, now],
    )
    await insertOldRun(old, id, {
      uid: 'r1',
      text: 'The nurse said',
      edits: sampleEdits(),
      metrics: { top1Prob: 0.25 },
      blob: Float32Array.from([-1, -2]),
    })
    expect(await old.get('PRAGMA application_id')).toEqual({ application_id: 0 })
    await old.close()
    expect(headerId(path)).toBe(0)

    const store = await ExperimentStore.open(path)
    try {
      expect(await store.database.get('PRAGMA application_id')).toEqual({ application_id: LOG_APPLICATION_ID })
      expect(await schemaVersion(store.database)).toBe(SCHEMA_VERSION)
      expect(await store.get(id)).toMatchObject({ name: 'Nurse ablation', notes: 'kept', runCount: 1 })
      const [run] = await store.runs(id)
      expect(run.metrics).toEqual({ top1Prob: 0.25 })
      expect(Array.from((await store.getRun(run.id)).blobs.logProbs.data)).toEqual([-1, -2])
      expect((await store.search('nurse')).total).toBe(1)
      expect(await store.database.all('PRAGMA integrity_check')).toEqual([{ integrity_check: 'ok' }])
    } finally {
      await store.close()
    }
    expect(headerId(path)).toBe(LOG_APPLICATION_ID) // checkpointed into the file at close
  })

  it('stamps a current-schema log made before the stamp, and a read-only open reads one without stamping it', async () => {
    const path = dbPath(tmp.dir)
    const old = await preStampLog(path, SCHEMA_VERSION)
    await old.close()
    const bytes = readFileSync(path)
    const ro = await ExperimentStore.open(path, { readonly: true })
    expect((await ro.list()).total).toBe(0)
    await ro.close()
    expect(readFileSync(path).equals(bytes)).toBe(true)

    const store = await ExperimentStore.open(path)
    await store.save({ name: 'after', edits: sampleEdits() })
    await store.close()
    expect(headerId(path)).toBe(LOG_APPLICATION_ID)
  })

  it('gives a new log the stamp before any migration, and keeps it through them', async () => {
    const path = dbPath(tmp.dir)
    const v1 = await ExperimentStore.open(path, { targetVersion: 1 })
    await v1.close()
    expect(headerId(path)).toBe(LOG_APPLICATION_ID)
    const v3 = await ExperimentStore.open(path)
    expect(await v3.database.get('PRAGMA application_id')).toEqual({ application_id: LOG_APPLICATION_ID })
    await v3.close()
  })
})
