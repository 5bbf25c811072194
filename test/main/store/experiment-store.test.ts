import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Database } from '../../../src/main/store/database'
import { ExperimentStore } from '../../../src/main/store/experiment-store'
import { migrateDatabase } from '../../../src/main/store/migrate-database'
import { NEW_PAGE_SIZE } from '../../../src/main/store/open-database'
import type { NewRun } from '../../../src/shared/store/experiment-types'
import { dbPath, sampleEdits, tempDir } from './helpers/temp-db'

let tmp: ReturnType<typeof tempDir>
let store: ExperimentStore

beforeEach(async () => {
  tmp = tempDir()
  store = await ExperimentStore.open(dbPath(tmp.dir))
})
afterEach(async () => {
  await store.close()
  tmp.cleanup()
})

function run(text: string, top1Prob: number): NewRun {
  return {
    kind: 'predict',
    inputs: { text },
    settings: { topK: 3 },
    outputs: { topk: [{ id: 1, token: ' a', prob: top1Prob }] },
    metrics: { top1Prob },
    blobs: { logprobs: { dtype: 'float32', shape: [2, 3], data: Float32Array.from([-1, -2.5, -3, -0.25, -7, Math.fround(-1e-8)]) } },
    timingsMs: { total: 4 },
    appVersion: '0.1.0',
    runtimeVersion: 'ort 1.30.0',
    executionProvider: 'cpu',
    checkpoint: 'abcdef0123456789',
  }
}

describe('ExperimentStore', () => {
  it('saves, reads back and updates an experiment', async () => {
    const saved = await store.save({ name: 'nurse ablation', edits: sampleEdits(), tags: ['bias', 'bias', ' gender '], notes: 'first try' })
    expect(saved.id).toBeGreaterThan(0)
    expect(saved.tags).toEqual(['bias', 'gender'])
    expect(saved.edits.edits).toEqual(sampleEdits().edits)
    expect(saved.editCount).toBe(2)
    const updated = await store.update(saved.id, { notes: 'second', tags: ['x'], name: 'renamed' })
    expect(updated).toMatchObject({ notes: 'second', tags: ['x'], name: 'renamed' })
    expect(updated.updatedAt).toBeGreaterThanOrEqual(saved.updatedAt)
    const newEdits = sampleEdits(0.5)
    expect((await store.update(saved.id, { edits: newEdits })).edits).toEqual(newEdits)
  })

  it('rejects invalid edit documents and fields without writing', async () => {
    await expect(store.save({ name: 'x', edits: { format: 'nope' } as never })).rejects.toMatchObject({ code: 'edit-invalid' })
    await expect(
      store.save({ name: 'x', edits: { ...sampleEdits(), edits: [{ kind: 'scale-sense', token: ' nurse', sense: -1, factor: 0 }] } }),
    ).rejects.toMatchObject({ code: 'edit-invalid' })
    await expect(store.save({ name: '', edits: sampleEdits() })).rejects.toMatchObject({ code: 'bad-request' })
    await expect(store.save({ name: 'x', edits: sampleEdits(), parentId: 999 })).rejects.toMatchObject({ code: 'not-found' })
    expect((await store.list()).total).toBe(0)
  })

  it('checks sense indices exactly once the checkpoint config is known', async () => {
    const hash = 'aa'.repeat(32)
    await store.recordCheckpoint(hash, '/models/tiny', { vocabSize: 50264, numSenses: 4, nEmbd: 8 })
    const edits = { ...sampleEdits(), checkpoint: hash }
    await expect(store.save({ name: 'x', edits })).rejects.toMatchObject({ code: 'edit-invalid' }) // sense 10 ≥ 4
    const ok = await store.save({ name: 'x', edits: { ...edits, edits: [{ kind: 'scale-sense', token: ' nurse', sense: 3, factor: 0 }] } })
    expect(ok.checkpointHash).toBe(hash)
  })

  it('forks: copies edits and tags, links the parent, leaves runs with the parent', async () => {
    const a = await store.save({ name: 'base', edits: sampleEdits(), tags: ['t'] })
    await store.addRun(a.id, run('The nurse said', 0.3))
    const b = await store.fork(a.id)
    expect(b).toMatchObject({ name: 'base (fork)', parentId: a.id, tags: ['t'], runCount: 0 })
    expect(b.edits).toEqual(a.edits)
    expect(b.uid).not.toBe(a.uid)
  })

  it('records runs with blobs and reads them back exactly', async () => {
    const a = await store.save({ name: 'a', edits: sampleEdits() })
    const r = await store.addRun(a.id, run('The nurse said', 0.3))
    const back = await store.getRun(r.id)
    const expected = run('The nurse said', 0.3)
    expect(back.blobs.logprobs.data).toBeInstanceOf(Float32Array)
    expect(Array.from(back.blobs.logprobs.data)).toEqual(Array.from(expected.blobs!.logprobs.data)) // bit-exact
    expect(back.blobs.logprobs.shape).toEqual([2, 3])
    expect(back).toMatchObject({
      kind: 'predict',
      inputs: expected.inputs,
      metrics: expected.metrics,
      outputs: expected.outputs,
      executionProvider: 'cpu',
      checkpoint: expected.checkpoint,
    })
    expect(back.edits).toEqual(a.edits)
    const blobBytes = await store.database.get<{ n: number; t: string }>(
      'SELECT length(data) AS n, typeof(data) AS t FROM run_blobs WHERE run_id = ?',
      [r.id],
    )
    expect(blobBytes).toEqual({ n: 6 * 4, t: 'blob' })
    await expect(store.addRun(a.id, { ...expected, metrics: { x: 'no' as never } })).rejects.toMatchObject({ code: 'bad-request' })
  })

  it('deletes to the trash, restores, purges with runs', async () => {
    const a = await store.save({ name: 'a', edits: sampleEdits() })
    const r = await store.addRun(a.id, run('x', 0.1))
    await store.delete(a.id)
    expect((await store.list()).total).toBe(0)
    expect((await store.list({ onlyDeleted: true })).items.map((e) => e.id)).toEqual([a.id])
    await store.restore(a.id)
    expect((await store.list()).total).toBe(1)
    await store.delete(a.id)
    await store.purge(a.id)
    await expect(store.get(a.id)).rejects.toMatchObject({ code: 'not-found' })
    await expect(store.getRun(r.id)).rejects.toMatchObject({ code: 'not-found' })
    expect(await store.database.get('SELECT count(*) AS n FROM run_blobs')).toEqual({ n: 0 })
  })

  it('purgeDeleted removes only experiments trashed long enough ago', async () => {
    const a = await store.save({ name: 'a', edits: sampleEdits() })
    const b = await store.save({ name: 'b', edits: sampleEdits() })
    await store.delete(a.id)
    await store.delete(b.id)
    await store.database.run('UPDATE experiments SET deleted_at = deleted_at - 100000 WHERE id = ?', [a.id])
    expect(await store.purgeDeleted(50_000)).toBe(1)
    expect((await store.list({ onlyDeleted: true })).items.map((e) => e.id)).toEqual([b.id])
  })

  it("creates new databases with 16 KiB pages and leaves an existing file's page size alone", async () => {
    expect(await store.database.get('PRAGMA page_size')).toEqual({ page_size: NEW_PAGE_SIZE })
    const old = dbPath(tmp.dir, 'old.sqlite')
    // an existing log with 4 KiB pages (made as logs were before the application id stamp)
    const raw = await Database.open(old)
    await raw.exec('PRAGMA page_size = 4096')
    await migrateDatabase(raw)
    await raw.close()
    const reopened = await ExperimentStore.open(old)
    expect(await reopened.database.get('PRAGMA page_size')).toEqual({ page_size: 4096 })
    await reopened.close()
  })
})
