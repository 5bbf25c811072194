import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Database } from '../../src/main/store/database'
import { ExperimentStore } from '../../src/main/store/experiment-store'
import type { SenseEditDocument } from '../../src/shared/edits/sense-edits'

/**
 * The material the hostile store cases are cut from: a valid experiment log (and what reading
 * it must give), WAL files left by a crash (of another log, and of another program's database),
 * and a way to make any SQLite file from SQL. Built once per test file, in a temporary folder.
 */
export interface StoreMaterial {
  /** a checkpointed log: 12 experiments, 2 in the trash, 9 runs with blobs */
  log: Buffer
  pageSize: number
  /** `fingerprint` of `log` */
  expected: string
  /** the -wal of another experiment log whose process died before closing it */
  otherLogWal: Buffer
  /** the -wal of another program's 4 KiB-page database whose process died */
  foreignWal: Buffer
  /** the main file beside `foreignWal` */
  foreignMain: Buffer
  sqlite: (sql: string) => Promise<Buffer>
  /** the base log with `sql` run on it through a plain connection (no stamp check) */
  alteredLog: (sql: string) => Promise<Buffer>
  cleanup: () => void
}

const EDITS = (i: number): SenseEditDocument => ({
  format: 'backpack-sense-edits',
  version: 1,
  edits: [{ kind: 'scale-sense', token: ' nurse', sense: i % 16, factor: i / 10 }],
})

/** Everything a reader of the log sees, as one string: experiments (with the trash), runs and blob bytes. */
export async function fingerprint(store: ExperimentStore): Promise<string> {
  const live = (await store.list({ limit: 1000, sort: 'name' })).items
  const trash = (await store.list({ limit: 1000, sort: 'name', onlyDeleted: true })).items
  const out: unknown[] = []
  for (const e of [...live, ...trash]) {
    const full = await store.get(e.id)
    const runs = []
    for (const r of await store.runs(e.id)) {
      const run = await store.getRun(r.id)
      runs.push({
        uid: run.uid,
        metrics: run.metrics,
        outputs: run.outputs,
        blobs: Object.entries(run.blobs).map(([k, b]) => [
          k,
          b.dtype,
          b.shape,
          Buffer.from(b.data.buffer, b.data.byteOffset, b.data.byteLength).toString('hex'),
        ]),
      })
    }
    out.push({
      uid: full.uid,
      name: full.name,
      notes: full.notes,
      tags: full.tags,
      edits: full.edits,
      deleted: full.deletedAt !== null,
      runs,
    })
  }
  return JSON.stringify(out)
}

async function fillLog(store: ExperimentStore, label: string): Promise<void> {
  for (let i = 0; i < 12; i++) {
    const e = await store.save({ name: `${label} ${i}`, notes: `notes ${i} `.repeat(40), tags: [`t${i % 3}`], edits: EDITS(i) })
    if (i % 4 === 0) continue
    await store.addRun(e.id, {
      kind: 'predict',
      inputs: { text: `prompt ${i}` },
      settings: { topK: 5 },
      outputs: { topk: [{ id: i, prob: 0.5 }] },
      metrics: { top1Prob: i / 12 },
      blobs: { logProbs: { dtype: 'float32', shape: [2048], data: new Float32Array(2048).map((_, j) => Math.sin(i * j)) } },
      appVersion: 'test',
      runtimeVersion: null,
      executionProvider: null,
      checkpoint: null,
    })
    if (i % 5 === 1) await store.delete(e.id)
  }
}

/** Copies a live connection's -wal, as a process killed at this moment would leave it. */
const liveWal = (path: string) => readFileSync(`${path}-wal`)

export async function buildMaterial(): Promise<StoreMaterial> {
  const dir = mkdtempSync(join(tmpdir(), 'hostile-store-'))
  let n = 0
  const fresh = () => join(dir, `db${n++}.sqlite`)

  const logPath = fresh()
  const store = await ExperimentStore.open(logPath)
  await fillLog(store, 'exp')
  const expected = await fingerprint(store)
  const pageSize = (await store.database.get<{ page_size: number }>('PRAGMA page_size'))!.page_size
  await store.close()
  const log = readFileSync(logPath)

  const otherPath = fresh()
  const other = await ExperimentStore.open(otherPath)
  await other.database.get('PRAGMA wal_autocheckpoint = 0')
  await fillLog(other, 'other')
  const otherLogWal = liveWal(otherPath)
  await other.close()

  const foreignPath = fresh()
  const foreign = await Database.open(foreignPath)
  await foreign.exec(
    "PRAGMA page_size = 4096; PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 0; CREATE TABLE messages (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO messages (body) VALUES ('hello')",
  )
  const foreignMain = readFileSync(foreignPath)
  for (let i = 0; i < 20; i++) await foreign.run('INSERT INTO messages (body) VALUES (?)', ['x'.repeat(500)])
  const foreignWal = liveWal(foreignPath)
  await foreign.close()

  const sqlite = async (sql: string) => {
    const p = fresh()
    const db = await Database.open(p)
    await db.exec(sql)
    await db.close()
    return readFileSync(p)
  }
  const alteredLog = async (sql: string) => {
    const p = fresh()
    writeFileSync(p, log)
    const raw = await Database.open(p)
    await raw.exec(sql)
    await raw.close()
    return readFileSync(p)
  }
  return {
    log,
    pageSize,
    expected,
    otherLogWal,
    foreignWal,
    foreignMain,
    sqlite,
    alteredLog,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  }
}
