import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { unzipSync } from 'fflate'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RunningServer } from '../../../src/main/serve/serve-workbench'
import { startServe } from '../../../src/main/serve/start-serve'
import { ExperimentStore } from '../../../src/main/store/experiment-store'
import type { Workbench } from '../../../src/main/workbench/workbench'
import type { SenseEditDocument } from '../../../src/shared/edits/sense-edits'
import { runsOfEveryKind } from '../../helpers/run-factories'

/** serve's API over a log with runs of every kind, the tiny model loaded: compare (edit effects included) and a run's arrays. */
const TINY = join(import.meta.dirname, '../../fixtures/checkpoints/tiny-fullvocab')
const doc = (edits: SenseEditDocument['edits']): SenseEditDocument => ({ format: 'backpack-sense-edits', version: 1, edits })
const saved = { data: process.env.BACKPACK_DATA_DIR, cache: process.env.BACKPACK_CACHE_DIR }
let dir: string
let server: RunningServer
let workbench: Workbench
let ids: number[]
let runId: number

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'serve-kinds-'))
  process.env.BACKPACK_DATA_DIR = join(dir, 'data')
  process.env.BACKPACK_CACHE_DIR = join(dir, 'cache')
  const store = await ExperimentStore.open(join(dir, 'data', 'experiments.sqlite'))
  const base = await store.save({ name: 'baseline', edits: doc([]) })
  const edited = await store.save({ name: 'edited', edits: doc([{ kind: 'scale-sense', token: ' nurse', sense: 3, factor: 0 }]) })
  for (const run of runsOfEveryKind(0, null)) await store.addRun(base.id, run)
  for (const run of runsOfEveryKind(0.05, [' that', ' he', ' was'])) runId = (await store.addRun(edited.id, run)).id // the last: an evaluation
  ids = [base.id, edited.id]
  await store.close()
  const web = join(dir, 'web')
  mkdirSync(web)
  writeFileSync(join(web, 'index.html'), '<!doctype html><title>t</title>')
  ;({ server, workbench } = await startServe({ webRoot: web, version: 'test', port: 0, checkpoint: TINY }))
  for (let i = 0; i < 600 && !workbench.model; i++) await new Promise((r) => setTimeout(r, 100))
}, 120_000)
afterAll(async () => {
  await server?.close()
  await workbench?.dispose()
  for (const [k, v] of [
    ['BACKPACK_DATA_DIR', saved.data],
    ['BACKPACK_CACHE_DIR', saved.cache],
  ] as const) {
    if (v === undefined) delete process.env[k]
    else process.env[k] = v
  }
  rmSync(dir, { recursive: true, force: true })
})

async function call<T>(method: string, body: unknown): Promise<T> {
  const res = await fetch(`http://127.0.0.1:${server.port}/api/${method}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${server.token}` },
    body: JSON.stringify(body),
  })
  return (await res.json()) as T
}

describe('serve: comparing and exporting runs of every kind', () => {
  it('experiments.compare: differences only by default, every kind, and the edit effects on the loaded model', async () => {
    expect(workbench.model).not.toBeNull()
    const res = await call<{
      ok: true
      value: {
        comparison: {
          diffOnly: boolean
          generations: unknown[]
          details: { prompt: { kind: string } }[]
          editEffects: { computed: boolean; rows: { key: string }[] }
        }
        tables: { title: string }[]
      }
    }>('experiments.compare', { ids })
    expect(res.ok).toBe(true)
    const c = res.value.comparison
    expect(c.diffOnly).toBe(true)
    expect(c.generations).toHaveLength(1)
    expect(new Set(c.details.map((d) => d.prompt.kind))).toEqual(new Set(['suite', 'senses', 'attribute', 'evaluate']))
    expect(c.editEffects.computed).toBe(true)
    expect(c.editEffects.rows.map((r) => r.key)).toEqual(['" nurse"#15849 sense 3'])
    expect(res.value.tables.map((t) => t.title)).toContain('Edit effects')
    const tex = await call<{ ok: true; value: { text: string } }>('experiments.exportTable', { ids, format: 'latex' })
    expect(tex.value.text).toContain('" nurse"\\#15849 sense 3')
  })

  it('experiments.exportArrays: the .npz of a run, its index and file name', async () => {
    const res = await call<{
      ok: true
      value: { fileName: string; base64: string; index: { arrays: Record<string, { shape: number[] }> } }
    }>('experiments.exportArrays', { runId })
    expect(res.ok).toBe(true)
    expect(res.value.fileName).toBe(`run-${runId}.npz`)
    expect(res.value.index.arrays.logProbs.shape).toEqual([7])
    expect(Object.keys(unzipSync(Buffer.from(res.value.base64, 'base64')))).toContain('documents.perplexity.npy')
    expect(await call('experiments.exportArrays', { runId: 'one' })).toMatchObject({ ok: false, error: { code: 'bad-request' } })
  })
})
