import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ExperimentStore } from '../../../src/main/store/experiment-store'
import { bundleHelper, startChild } from './helpers/child-script'
import { dbPath, sampleEdits, tempDir } from './helpers/temp-db'

/**
 * Eight processes each run the CLI's `experiment save` 20 times against one new database, as
 * eight shell loops of `experiment save` would: every call opens the log (the first ones create
 * and migrate it), saves, and closes it. Every save must succeed with no retry by the caller,
 * none may be lost or written twice, and the file must pass integrity_check.
 */
const PROCESSES = 8
const SAVES = 20

let tmp: ReturnType<typeof tempDir>
let script: string
beforeAll(async () => {
  tmp = tempDir('saves-8x20-')
  script = await bundleHelper('cli-save-loop', tmp.dir)
})
afterAll(() => tmp.cleanup())

describe('concurrent CLI saves', () => {
  it(`${PROCESSES} processes × ${SAVES} saves on one database: all succeed, none lost or duplicated`, async () => {
    const path = dbPath(tmp.dir)
    const edits = join(tmp.dir, 'edits.json')
    writeFileSync(edits, JSON.stringify(sampleEdits(0.5)))
    const children = Array.from({ length: PROCESSES }, (_, p) => startChild(script, [path, String(SAVES), `p${p}`, edits]))
    const outs = await Promise.all(children.map((c) => c.done))
    const ids: number[] = []
    for (const out of outs) {
      const lines = out.stdout.trim().split('\n')
      expect(lines.filter((l) => !l.startsWith('{'))).toEqual([]) // no error[…] line
      expect(out.stderr).toBe('')
      expect(out.code).toBe(0)
      ids.push(...lines.map((l) => (JSON.parse(l) as { id: number }).id))
    }
    expect(ids).toHaveLength(PROCESSES * SAVES)
    expect(new Set(ids).size).toBe(PROCESSES * SAVES)

    const store = await ExperimentStore.open(path)
    try {
      const rows = await store.database.all<{ id: number; name: string }>('SELECT id, name FROM experiments ORDER BY id')
      expect(rows.map((r) => r.id)).toEqual([...ids].sort((a, b) => a - b))
      const names = rows.map((r) => r.name).sort()
      const expected = Array.from({ length: PROCESSES }, (_, p) => Array.from({ length: SAVES }, (_, i) => `p${p} ${i}`))
        .flat()
        .sort()
      expect(names).toEqual(expected) // each save exactly once
      for (let p = 0; p < PROCESSES; p++) expect((await store.list({ tags: [`p${p}`], limit: 1 })).total).toBe(SAVES)
      expect(await store.database.all('PRAGMA integrity_check')).toEqual([{ integrity_check: 'ok' }])
      expect(await store.database.all('PRAGMA foreign_key_check')).toEqual([])
    } finally {
      await store.close()
    }
  }, 300_000)
})
