import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Database } from '../../../src/main/store/database'
import { exportBundle, importBundle } from '../../../src/main/store/experiment-bundle'
import { ExperimentStore } from '../../../src/main/store/experiment-store'
import { LOG_APPLICATION_ID } from '../../../src/main/store/log-file'
import { SCHEMA_VERSION } from '../../../src/main/store/migrations/index'
import { dbPath, sampleEdits, tempDir } from './helpers/temp-db'

let tmp: ReturnType<typeof tempDir>
beforeEach(() => {
  tmp = tempDir('fail-')
})
afterEach(() => {
  chmodSync(tmp.dir, 0o755)
  tmp.cleanup()
})

/** Deterministic pseudo-random bytes. */
function noise(n: number, seed = 7): Buffer {
  const b = Buffer.alloc(n)
  let x = seed
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0
    b[i] = x >>> 24
  }
  return b
}

async function counts(store: ExperimentStore) {
  return {
    experiments: await store.database.get('SELECT count(*) AS n FROM experiments'),
    runs: await store.database.get('SELECT count(*) AS n FROM runs'),
    blobs: await store.database.get('SELECT count(*) AS n FROM run_blobs'),
  }
}

const bigRun = (n: number) => ({
  kind: 'predict',
  inputs: { text: 'x' },
  settings: {},
  outputs: {},
  metrics: {},
  blobs: { logits: { dtype: 'float32' as const, shape: [n], data: new Float32Array(n).fill(1.5) } },
  appVersion: 'test',
  runtimeVersion: null,
  executionProvider: null,
  checkpoint: null,
})

describe('store failures are clear and change nothing', () => {
  it.each([
    ['a text file', Buffer.from('these are my notes, not a database\n'.repeat(20))],
    ['random bytes', noise(8192)],
    ['an SQLite header followed by garbage', Buffer.concat([Buffer.from('SQLite format 3\0', 'latin1'), noise(3 * 4096)])],
  ])('refuses %s with store-corrupt and keeps the file byte for byte', async (_what, bytes) => {
    const path = dbPath(tmp.dir)
    writeFileSync(path, bytes)
    await expect(ExperimentStore.open(path)).rejects.toMatchObject({ code: 'store-corrupt' })
    expect(readFileSync(path).equals(bytes)).toBe(true)
    expect(existsSync(path + '-wal')).toBe(false)
  })

  it('reports store-corrupt when a table page is damaged, and never rewrites the file', async () => {
    const path = dbPath(tmp.dir)
    const store = await ExperimentStore.open(path)
    for (let i = 0; i < 30; i++) await store.save({ name: `e${i}`, notes: 'n'.repeat(500), edits: sampleEdits() })
    await store.close() // checkpoints the WAL into the main file
    const root = await Database.open(path)
    const page = (await root.get<{ rootpage: number }>("SELECT rootpage FROM sqlite_master WHERE name = 'experiments'"))!.rootpage
    const { page_size: size } = (await root.get<{ page_size: number }>('PRAGMA page_size'))!
    await root.close()
    const bytes = readFileSync(path)
    noise(size, 3).copy(bytes, (page - 1) * size)
    writeFileSync(path, bytes)
    const damaged = await ExperimentStore.open(path).then(
      async (s) => {
        try {
          await s.list()
          return 'no error'
        } catch (e) {
          return (e as { code: string }).code
        } finally {
          await s.close()
        }
      },
      (e) => (e as { code: string }).code,
    )
    expect(damaged).toBe('store-corrupt')
    expect(readFileSync(path).equals(bytes)).toBe(true)
  })

  it('refuses a database from a newer app with store-version and leaves it unchanged', async () => {
    const path = dbPath(tmp.dir)
    const raw = await Database.open(path)
    // a newer app's log carries the experiment log's application id
    await raw.exec(
      `CREATE TABLE future (x); INSERT INTO future VALUES (1); PRAGMA user_version = ${SCHEMA_VERSION + 1}; PRAGMA application_id = ${LOG_APPLICATION_ID}`,
    )
    await raw.close()
    const bytes = readFileSync(path)
    await expect(ExperimentStore.open(path)).rejects.toMatchObject({ code: 'store-version' })
    expect(readFileSync(path).equals(bytes)).toBe(true)
    expect(existsSync(path + '-wal')).toBe(false) // journal mode was not switched
  })

  it('refuses a newer WAL-mode database holding experiments, and a later open by the right app still finds them', async () => {
    const path = dbPath(tmp.dir)
    const store = await ExperimentStore.open(path)
    await store.save({ name: 'kept', edits: sampleEdits() })
    await store.close()
    const raw = await Database.open(path)
    await raw.exec(`PRAGMA user_version = ${SCHEMA_VERSION + 1}`)
    await raw.close()
    const bytes = readFileSync(path)
    expect(bytes.readUInt8(18)).toBe(2) // file format write version 2 = WAL mode
    await expect(ExperimentStore.open(path)).rejects.toMatchObject({
      code: 'store-version',
      message: expect.stringContaining(`schema version ${SCHEMA_VERSION + 1}`),
    })
    await expect(ExperimentStore.open(path, { readonly: true })).rejects.toMatchObject({ code: 'store-version' })
    expect(readFileSync(path).equals(bytes)).toBe(true)
    // the "newer app" (simulated by putting the version back) still has its data
    const back = await Database.open(path)
    await back.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`)
    await back.close()
    const again = await ExperimentStore.open(path)
    expect((await again.list()).items.map((e) => e.name)).toEqual(['kept'])
    await again.close()
  })

  it('gives store-io for a location the kernel refuses even to root (sysfs), creating nothing', async () => {
    if (!existsSync('/sys/kernel')) return // not Linux: covered by the read-only-handle test below
    await expect(ExperimentStore.open('/sys/kernel/backpack-experiments.sqlite')).rejects.toMatchObject({ code: 'store-io' })
    expect(existsSync('/sys/kernel/backpack-experiments.sqlite')).toBe(false)
  })

  it('gives store-io, and does not hang, where the kernel answers ENOENT to creating the folder (/proc)', async () => {
    if (!existsSync('/proc/self')) return // not Linux
    // Node 20's recursive mkdir retries such a folder forever; this must fail at once instead
    await expect(ExperimentStore.open('/proc/backpack-nope/deeper/e.sqlite')).rejects.toMatchObject({
      code: 'store-io',
      message: expect.stringContaining('cannot create the folder'),
    })
  })

  it('gives store-io when writing through a read-only handle (SQLITE_OPEN_READONLY), file unchanged', async () => {
    const path = dbPath(tmp.dir)
    const rw = await ExperimentStore.open(path)
    await rw.save({ name: 'kept', edits: sampleEdits() })
    await rw.close()
    const bytes = readFileSync(path)
    const ro = await ExperimentStore.open(path, { readonly: true })
    expect((await ro.list()).total).toBe(1) // reads work
    await expect(ro.save({ name: 'new', edits: sampleEdits() })).rejects.toMatchObject({ code: 'store-io' })
    await ro.close()
    expect(readFileSync(path).equals(bytes)).toBe(true)
  })

  it.skipIf(process.getuid?.() === 0)('gives store-io in a read-only directory (non-root only: root ignores mode bits)', async () => {
    chmodSync(tmp.dir, 0o555)
    await expect(ExperimentStore.open(join(tmp.dir, 'new.sqlite'))).rejects.toMatchObject({ code: 'store-io' })
  })

  it('gives store-io on a full disk (max_page_count) and writes nothing half-way', async () => {
    const path = dbPath(tmp.dir)
    const store = await ExperimentStore.open(path)
    try {
      const e = await store.save({ name: 'base', edits: sampleEdits() })
      await store.addRun(e.id, bigRun(100))
      const bundle = await exportBundle(store, [e.id], 'test')
      const before = await counts(store)
      const { page_count } = (await store.database.get<{ page_count: number }>('PRAGMA page_count'))!
      await store.database.get(`PRAGMA max_page_count = ${page_count + 8}`) // ~32 kB of room left
      await expect(store.addRun(e.id, bigRun(256 * 1024))).rejects.toMatchObject({ code: 'store-io' }) // 1 MB blob
      // a multi-experiment import that runs out of space part-way is rolled back as a whole
      const many = {
        ...bundle,
        experiments: Array.from({ length: 20 }, (_, i) => ({
          ...bundle.experiments[0],
          uid: `u${i}`,
          runs: bundle.experiments[0].runs.map((r) => ({
            ...r,
            uid: `r${i}`,
            blobs: { logits: { dtype: 'float32' as const, shape: [16384], base64: Buffer.alloc(65536, 1).toString('base64') } },
          })),
        })),
      }
      await expect(importBundle(store, many)).rejects.toMatchObject({ code: 'store-io' })
      expect(await counts(store)).toEqual(before)
      expect(await store.database.all('PRAGMA integrity_check')).toEqual([{ integrity_check: 'ok' }])
      // the store is still usable once there is room again
      await store.database.get('PRAGMA max_page_count = 1073741823')
      await store.addRun(e.id, bigRun(1000))
    } finally {
      await store.close()
    }
  })
})
