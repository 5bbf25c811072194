import { writeFileSync } from 'node:fs'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Database } from '../../../src/main/store/database'
import { ExperimentStore } from '../../../src/main/store/experiment-store'
import { LOG_APPLICATION_ID } from '../../../src/main/store/log-file'
import { changedFiles, folderSnapshot } from './helpers/files'
import { dbPath, sampleEdits, tempDir } from './helpers/temp-db'

let tmp: ReturnType<typeof tempDir>
beforeEach(() => {
  tmp = tempDir('identity-')
})
afterEach(() => tmp.cleanup())

async function rawDatabase(path: string, sql: string): Promise<void> {
  const db = await Database.open(path)
  await db.exec(sql)
  await db.close()
}

/** Opening (read-write and read-only) must fail with `code` and leave the folder byte for byte. */
async function expectRefused(path: string, code: string): Promise<void> {
  const before = folderSnapshot(tmp.dir)
  await expect(ExperimentStore.open(path)).rejects.toMatchObject({ code })
  expect(changedFiles(before, folderSnapshot(tmp.dir))).toEqual([])
  await expect(ExperimentStore.open(path, { readonly: true })).rejects.toMatchObject({ code })
  expect(changedFiles(before, folderSnapshot(tmp.dir))).toEqual([])
}

describe('the experiment log recognises itself', () => {
  it('stamps a new log (missing path or empty file) with its application id, leaving no temporary file', async () => {
    const missing = dbPath(tmp.dir, 'new.sqlite')
    const empty = dbPath(tmp.dir, 'empty.sqlite')
    writeFileSync(empty, '')
    for (const path of [missing, empty]) {
      const store = await ExperimentStore.open(path)
      expect(await store.database.get('PRAGMA application_id')).toEqual({ application_id: LOG_APPLICATION_ID })
      await store.save({ name: 'x', edits: sampleEdits() })
      await store.close()
    }
    expect([...folderSnapshot(tmp.dir).keys()]).toEqual(['empty.sqlite', 'new.sqlite'])
    expect(folderSnapshot(tmp.dir).get('new.sqlite')!.readUInt32BE(68)).toBe(LOG_APPLICATION_ID)
  })

  it.each([
    [
      'a program whose database has its own "experiments" table',
      "CREATE TABLE experiments (id INTEGER PRIMARY KEY, title TEXT); INSERT INTO experiments (title) VALUES ('theirs')",
    ],
    [
      'the same in WAL mode',
      "PRAGMA journal_mode = WAL; CREATE TABLE experiments (id INTEGER PRIMARY KEY, title TEXT); INSERT INTO experiments (title) VALUES ('theirs')",
    ],
    ['another application id (GeoPackage)', 'PRAGMA application_id = 1196444487; CREATE TABLE gpkg_contents (table_name TEXT PRIMARY KEY)'],
    ['a foreign user_version', 'PRAGMA user_version = 42; CREATE TABLE notes (body TEXT)'],
    ['a user_version of ours over other tables', 'PRAGMA user_version = 3; CREATE TABLE notes (body TEXT)'],
    ['a blank SQLite database', 'PRAGMA page_size = 4096; VACUUM'],
  ])('refuses %s with store-foreign and changes nothing beside it', async (_what, sql) => {
    const path = dbPath(tmp.dir)
    await rawDatabase(path, sql)
    await expectRefused(path, 'store-foreign')
  })

  it('refuses a WAL-mode database that its program holds open, touching neither the file nor its WAL', async () => {
    const path = dbPath(tmp.dir)
    const theirs = await Database.open(path)
    await theirs.exec(
      "PRAGMA journal_mode = WAL; CREATE TABLE experiments (id INTEGER PRIMARY KEY, title TEXT); INSERT INTO experiments (title) VALUES ('theirs')",
    )
    try {
      const before = folderSnapshot(tmp.dir)
      expect([...before.keys()]).toEqual(['experiments.sqlite', 'experiments.sqlite-shm', 'experiments.sqlite-wal'])
      await expect(ExperimentStore.open(path)).rejects.toMatchObject({ code: 'store-foreign' })
      const after = folderSnapshot(tmp.dir)
      expect([...after.keys()]).toEqual([...before.keys()])
      expect(after.get('experiments.sqlite')!.equals(before.get('experiments.sqlite')!)).toBe(true)
      expect(after.get('experiments.sqlite-wal')!.equals(before.get('experiments.sqlite-wal')!)).toBe(true)
      expect(await theirs.all('SELECT title FROM experiments')).toEqual([{ title: 'theirs' }])
    } finally {
      await theirs.close()
    }
  })

  it('refuses a log whose tables were altered with store-corrupt, and leaves it as it is', async () => {
    const path = dbPath(tmp.dir)
    const store = await ExperimentStore.open(path)
    await store.save({ name: 'kept', edits: sampleEdits() })
    await store.close()
    await rawDatabase(path, 'ALTER TABLE experiments DROP COLUMN folder')
    await expectRefused(path, 'store-corrupt')
  })

  it('accepts a table of the researcher’s own beside the log’s', async () => {
    const path = dbPath(tmp.dir)
    const store = await ExperimentStore.open(path)
    await store.save({ name: 'kept', edits: sampleEdits() })
    await store.close()
    await rawDatabase(path, "CREATE TABLE my_notes (x TEXT); INSERT INTO my_notes VALUES ('mine')")
    const again = await ExperimentStore.open(path)
    expect((await again.list()).items.map((e) => e.name)).toEqual(['kept'])
    await again.close()
  })
})
