import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ExperimentStore } from '../../../src/main/store/experiment-store'
import { ftsQuery } from '../../../src/main/store/list-experiments'
import type { SenseEditDocument } from '../../../src/shared/edits/sense-edits'
import { dbPath, tempDir } from './helpers/temp-db'

let tmp: ReturnType<typeof tempDir>
let store: ExperimentStore
const ids: Record<string, number> = {}

const doc = (edits: SenseEditDocument['edits'], checkpoint?: string): SenseEditDocument => ({
  format: 'backpack-sense-edits',
  version: 1,
  ...(checkpoint ? { checkpoint } : {}),
  edits,
})

beforeAll(async () => {
  tmp = tempDir()
  store = await ExperimentStore.open(dbPath(tmp.dir))
  const cp = 'cafe'.repeat(16)
  ids.nurse = (
    await store.save({
      name: 'Nurse ablation',
      notes: 'removes the gendered sense',
      tags: ['bias', 'paper'],
      edits: doc([{ kind: 'scale-sense', token: ' nurse', sense: 10, factor: 0 }]),
    })
  ).id
  ids.brady = (
    await store.save({
      name: 'Brady to Colts',
      notes: 'knowledge edit of the quarterback',
      tags: ['knowledge'],
      edits: doc([{ kind: 'knowledge-edit', token: ' Brady', remove: ' Patriots', add: ' Colts' }], cp),
    })
  ).id
  ids.byId = (await store.save({ name: 'by id 40000', tags: ['bias'], edits: doc([{ kind: 'scale-sense', token: 40000, factor: 2 }]) })).id
  ids.topic = (
    await store.save({
      name: 'Topic: café 100%_done',
      notes: 'Arts topic at strength 2',
      folder: 'topics',
      edits: doc([
        { kind: 'topic', topic: Object.keys((await import('../../../src/shared/edits/topic-words')).TOPIC_WORDS)[0], strength: 2 },
      ]),
    })
  ).id
  await store.database.run('UPDATE experiments SET created_at = ? WHERE id = ?', [Date.UTC(2024, 0, 1), ids.nurse])
})
afterAll(async () => {
  await store.close()
  tmp.cleanup()
})

const names = async (q: Parameters<ExperimentStore['list']>[0]) => (await store.list(q)).items.map((e) => e.id)

describe('listExperiments', () => {
  it('filters by tag (all listed tags must match)', async () => {
    expect((await names({ tags: ['bias'] })).sort()).toEqual([ids.nurse, ids.byId].sort())
    expect(await names({ tags: ['bias', 'paper'] })).toEqual([ids.nurse])
  })

  it('filters by edited token given as word, token text or id', async () => {
    expect(await names({ token: 'nurse' })).toEqual([ids.nurse])
    expect(await names({ token: ' nurse' })).toEqual([ids.nurse])
    const nurseId = (await store.database.get<{ token_id: number }>('SELECT token_id FROM experiment_tokens WHERE experiment_id = ?', [
      ids.nurse,
    ]))!.token_id
    expect(await names({ token: nurseId })).toEqual([ids.nurse])
    expect(await names({ token: 'Colts' })).toEqual([ids.brady]) // the "add" token of a knowledge edit
    expect(await names({ token: '40000' })).toEqual([ids.byId])
    expect(await names({ token: 'zebra' })).toEqual([])
  })

  it('filters by name substring (LIKE specials literal), checkpoint prefix, folder and date', async () => {
    expect(await names({ name: 'brady' })).toEqual([ids.brady])
    expect(await names({ name: '100%_' })).toEqual([ids.topic])
    expect(await names({ name: '%' })).toEqual([ids.topic])
    expect(await names({ checkpoint: 'cafeCAFE' })).toEqual([ids.brady])
    expect(await names({ folder: 'topics' })).toEqual([ids.topic])
    expect(await names({ createdTo: Date.UTC(2025, 0, 1) })).toEqual([ids.nurse])
    expect((await names({ createdFrom: Date.UTC(2025, 0, 1) })).length).toBe(3)
  })

  it('full-text searches names and notes by word prefix, diacritics folded', async () => {
    expect(await names({ search: 'quarterback' })).toEqual([ids.brady])
    expect(await names({ search: 'gender' })).toEqual([ids.nurse]) // prefix of "gendered"
    expect(await names({ search: 'cafe' })).toEqual([ids.topic])
    expect(await names({ search: 'knowledge colts' })).toEqual([ids.brady])
    expect(await names({ search: 'NEAR( "x' })).toEqual([]) // operators are taken literally, no syntax error
    await store.update(ids.byId, { notes: 'now mentions a quarterback' })
    expect((await names({ search: 'quarterback' })).sort()).toEqual([ids.brady, ids.byId].sort())
    await expect(store.list({ search: '""' })).rejects.toMatchObject({ code: 'bad-request' })
  })

  it('sorts and paginates with a total', async () => {
    const byName = await store.list({ sort: 'name', limit: 2 })
    expect(byName.total).toBe(4)
    expect(byName.items.map((e) => e.name)).toEqual(['Brady to Colts', 'by id 40000'])
    const page2 = await store.list({ sort: 'name', limit: 2, offset: 2 })
    expect(page2.items.map((e) => e.name)).toEqual(['Nurse ablation', 'Topic: café 100%_done'])
    expect((await store.list({ sort: 'created', order: 'asc' })).items[0].id).toBe(ids.nurse)
    await expect(store.list({ limit: 0 })).rejects.toMatchObject({ code: 'bad-request' })
    await expect(store.list({ sort: 'bogus' as never })).rejects.toMatchObject({ code: 'bad-request' })
  })

  it('builds safe FTS5 queries', () => {
    expect(ftsQuery('a "b" c*')).toBe('"a"* "b"* "c"*')
  })
})
