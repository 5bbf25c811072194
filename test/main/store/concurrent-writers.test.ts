import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ExperimentStore } from '../../../src/main/store/experiment-store'
import { bundleHelper, parseSaved, startChild } from './helpers/child-script'
import { dbPath, sampleEdits, tempDir } from './helpers/temp-db'

/**
 * Two other processes (standing in for the app and the CLI) and this one write the same fresh
 * database at the same time: every save must land, and no "database is locked" may surface.
 */
let tmp: ReturnType<typeof tempDir>
let script: string
beforeAll(async () => {
  tmp = tempDir('concurrent-')
  script = await bundleHelper('save-loop', tmp.dir)
})
afterAll(() => tmp.cleanup())

describe('concurrent writers', () => {
  it('loses no write and surfaces no lock error with three processes writing at once', async () => {
    const path = dbPath(tmp.dir) // created and migrated by whichever process gets there first
    const perChild = 40
    const a = startChild(script, [path, String(perChild), 'app'])
    const b = startChild(script, [path, String(perChild), 'cli'])
    const store = await ExperimentStore.open(path)
    const mine: number[] = []
    try {
      for (let i = 0; i < 20; i++) {
        const e = await store.save({ name: `parent ${i}`, tags: ['parent'], edits: sampleEdits(i) })
        mine.push(e.id)
        await store.update(e.id, { notes: `updated ${i}` })
      }
      const [outA, outB] = await Promise.all([a.done, b.done])
      for (const out of [outA, outB]) {
        expect(out.stderr).toBe('')
        expect(out.code).toBe(0)
      }
      const savedA = parseSaved(outA.stdout)
      const savedB = parseSaved(outB.stdout)
      expect(savedA.experiments).toHaveLength(perChild)
      expect(savedB.experiments).toHaveLength(perChild)
      expect(savedA.runs).toHaveLength(perChild)
      const all = [...savedA.experiments.map((e) => e.id), ...savedB.experiments.map((e) => e.id), ...mine]
      expect(new Set(all).size).toBe(all.length)
      expect((await store.list({ limit: 1 })).total).toBe(2 * perChild + 20)
      expect((await store.list({ tags: ['app'], limit: 1 })).total).toBe(perChild)
      expect((await store.list({ tags: ['cli'], limit: 1 })).total).toBe(perChild)
      expect((await store.search('updated')).total).toBe(20)
      expect(await store.database.get('SELECT count(*) AS n FROM runs')).toEqual({ n: 2 * perChild })
      expect(await store.database.all('PRAGMA integrity_check')).toEqual([{ integrity_check: 'ok' }])
    } finally {
      await store.close()
    }
  }, 120_000)
})
