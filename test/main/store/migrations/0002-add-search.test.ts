import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ExperimentStore } from '../../../../src/main/store/experiment-store'
import { schemaVersion } from '../../../../src/main/store/migrate-database'
import { dbPath, sampleEdits, tempDir } from '../helpers/temp-db'
import { insertOldRun } from './helpers-old-rows'

let tmp: ReturnType<typeof tempDir>
beforeEach(() => {
  tmp = tempDir('mig2-')
})
afterEach(() => tmp.cleanup())

describe('migration 0002-add-search', () => {
  it('indexes experiments that existed before it, and keeps them', async () => {
    const path = dbPath(tmp.dir)
    const v1 = await ExperimentStore.open(path, { targetVersion: 1 })
    const a = await v1.save({ name: 'Gender probe', notes: 'professions and pronouns', edits: sampleEdits() })
    const b = await v1.save({ name: 'Other', notes: 'unrelated', edits: sampleEdits(0.5) })
    await insertOldRun(v1.database, a.id, { uid: 'r1', text: 'x', edits: a.edits, metrics: { m: 1 } })
    await expect(v1.search('gender')).rejects.toThrow() // no index yet at schema 1
    await v1.close()

    const v2 = await ExperimentStore.open(path, { targetVersion: 2 })
    expect(await schemaVersion(v2.database)).toBe(2)
    expect((await v2.search('pronoun')).items.map((e) => e.id)).toEqual([a.id])
    expect((await v2.search('unrelated')).items.map((e) => e.id)).toEqual([b.id])
    expect(await v2.get(a.id)).toMatchObject({ name: 'Gender probe', runCount: 1 })
    expect((await v2.runs(a.id))[0].metrics).toEqual({ m: 1 })
    // the triggers keep the index in step from now on
    await v2.update(b.id, { notes: 'now about pronouns too' })
    expect((await v2.search('pronoun')).items.map((e) => e.id).sort()).toEqual([a.id, b.id].sort())
    await v2.database.run('DELETE FROM experiments WHERE id = ?', [a.id]) // raw: the store's purge targets the latest schema
    expect((await v2.search('pronoun')).items.map((e) => e.id)).toEqual([b.id])
    expect(await v2.database.get("SELECT count(*) AS n FROM experiments_fts WHERE experiments_fts MATCH 'professions'")).toEqual({ n: 0 })
    await v2.close()
  })
})
