import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { unzipSync } from 'fflate'
import { beforeAll, describe, expect, it } from 'vitest'
import { ExperimentStore } from '../../../src/main/store/experiment-store'
import type { SenseEditDocument } from '../../../src/shared/edits/sense-edits'
import { CHECKPOINT, runsOfEveryKind } from '../../helpers/run-factories'
import { cli as runInProcess, TINY, useTempCache } from '../cli-harness'

/** `experiment compare`, `export-arrays` and bundles on a log holding runs of every kind (written through the store). */
const dir = useTempCache('exp-kinds-cli-')
const cli = (...argv: string[]) => runInProcess(argv)
const doc = (edits: SenseEditDocument['edits'], checkpoint = CHECKPOINT): SenseEditDocument => ({
  format: 'backpack-sense-edits',
  version: 1,
  checkpoint,
  edits,
})
let db: string
let ids: string[]
let runIds: number[]

beforeAll(async () => {
  db = join(dir(), 'kinds.sqlite')
  const store = await ExperimentStore.open(db)
  try {
    const base = await store.save({ name: 'baseline', edits: doc([]) })
    const edited = await store.save({ name: 'edited', edits: doc([{ kind: 'scale-sense', token: ' nurse', sense: 3, factor: 0 }]) })
    for (const run of runsOfEveryKind(0, null)) await store.addRun(base.id, run)
    runIds = []
    for (const run of runsOfEveryKind(0.05, [' that', ' he', ' was'])) runIds.push((await store.addRun(edited.id, run)).id)
    ids = [String(base.id), String(edited.id)]
  } finally {
    await store.close()
  }
})

describe('experiment CLI on runs of every kind', () => {
  it('compare shows differences only by default, generations marked and per-item tables; --all shows every row', async () => {
    const md = await cli('experiment', 'compare', '--db', db, ...ids, '--format', 'md')
    expect(md.code, md.stderr).toBe(0)
    expect(md.stdout).toContain('### Generations')
    expect(md.stdout).toContain('that[[ he]] was')
    expect(md.stdout).toMatch(/### Details: evaluate · documents:a\.txt, b\.txt #[0-9a-f]{12}/)
    expect(md.stdout).toContain('### Edit effects')
    expect(md.stdout).not.toMatch(/\| nurse \| unmodified \|/) // equal in both: hidden
    const all = await cli('experiment', 'compare', '--db', db, ...ids, '--format', 'md', '--all')
    expect(all.stdout).toMatch(/\| nurse \| unmodified \| 3 \| 3 \(\+0\) \|/)
    expect((await cli('experiment', 'compare', '--db', db, ...ids, '--all', '--diff-only')).code).toBe(2)
  })

  it("compare --effects loads the model and fills the edit-effects table (a checkpoint other than the experiments' is named as skipped)", async () => {
    const r = await cli('experiment', 'compare', '--db', db, ...ids, '--effects', '--checkpoint', TINY)
    expect(r.code, r.stderr).toBe(0)
    const c = r.json()
    expect(c.editEffects.computed).toBe(true)
    expect(c.editEffects.note).toContain('"edited"')
    expect(c.editEffects.rows).toEqual([])
  }, 120_000)

  it('export-arrays writes run-ID.npz and run-ID.index.json; bad ids and missing --out are typed errors', async () => {
    const out = join(dir(), 'arrays', 'nested')
    for (const id of runIds) {
      const r = await cli('experiment', 'export-arrays', '--db', db, String(id), '--out', out)
      expect(r.code, r.stderr).toBe(0)
      const index = JSON.parse(readFileSync(join(out, `run-${id}.index.json`), 'utf8'))
      expect(r.json()).toMatchObject({ runId: id, arrays: Object.keys(index.arrays) })
      const members = unzipSync(readFileSync(join(out, `run-${id}.npz`)))
      expect(Object.keys(members).sort()).toEqual([...Object.keys(index.arrays).map((n) => `${n}.npy`), 'index.json'].sort())
    }
    expect(readdirSync(out).filter((f) => f.includes('.tmp-'))).toEqual([])
    expect((await cli('experiment', 'export-arrays', '--db', db, '9999', '--out', out)).stderr).toMatch(/^error\[not-found\]/)
    expect((await cli('experiment', 'export-arrays', '--db', db, 'x', '--out', out)).code).toBe(2)
    expect((await cli('experiment', 'export-arrays', '--db', db, String(runIds[0]))).code).toBe(2)
  })

  it('export → import into a fresh log → compare prints the same tables', async () => {
    const bundle = join(dir(), 'kinds.bundle.json')
    expect((await cli('experiment', 'export', '--db', db, ...ids, '--out', bundle)).json()).toMatchObject({ experiments: 2, runs: 20 })
    const fresh = join(dir(), 'fresh.sqlite')
    const imported = await cli('experiment', 'import', '--db', fresh, bundle)
    expect(imported.code, imported.stderr).toBe(0)
    const newIds = imported.json().experiments.map((e: { id: number }) => String(e.id))
    for (const format of ['csv', 'md', 'latex', 'json']) {
      const a = await cli('experiment', 'compare', '--db', db, ...ids, '--format', format)
      const b = await cli('experiment', 'compare', '--db', fresh, ...newIds, '--format', format)
      expect(b.stdout, format).toBe(a.stdout)
    }
  })
})
