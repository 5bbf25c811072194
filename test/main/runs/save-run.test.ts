import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDispatcher, type Dispatch } from '../../../src/main/workbench/create-dispatcher'
import { handlerRunner } from '../../../src/main/runs/handler-runner'
import type { RunningServer } from '../../../src/main/serve/serve-workbench'
import { startServe } from '../../../src/main/serve/start-serve'
import { ExperimentStore } from '../../../src/main/store/experiment-store'
import { reopenRun } from '../../../src/main/store/reopen-run'
import { Workbench } from '../../../src/main/workbench/workbench'
import type { RunRecord } from '../../../src/shared/store/experiment-types'
import { cli } from '../../cli/cli-harness'

/**
 * Saving runs of every kind through experiments.saveRun from three doors — the app's dispatcher,
 * serve's HTTP API and the CLI's save flags — into one real SQLite log, on the real engine (tiny
 * fixture), and reopening them through the one runner over the handler table.
 */
const TINY = resolve('test/fixtures/checkpoints/tiny-fullvocab')
const env = { ...process.env }
let dir: string
let db: string
let app: Workbench
let dispatch: Dispatch
let server: RunningServer
let served: Workbench
const EDITS = { format: 'backpack-sense-edits', version: 1, edits: [{ kind: 'scale-sense', token: ' nurse', sense: 1, factor: 3 }] }
const TEXT = 'The nurse said that'

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'bw-save-run-'))
  Object.assign(process.env, { BACKPACK_CACHE_DIR: join(dir, 'cache'), BACKPACK_DATA_DIR: join(dir, 'data') })
  db = join(dir, 'data', 'experiments.sqlite') // serve's default log: every door writes the same one
  writeFileSync(join(dir, 'edits.json'), JSON.stringify(EDITS))
  app = new Workbench({ transport: 'electron', version: 'test', databasePath: db })
  dispatch = createDispatcher(app.handlers())
  await app.load(TINY)
  const web = mkdtempSync(join(dir, 'web-'))
  writeFileSync(join(web, 'index.html'), '<!doctype html><title>t</title>')
  ;({ server, workbench: served } = await startServe({ webRoot: web, version: 'test', port: 0 }))
  await served.load(TINY)
}, 120_000)
afterAll(async () => {
  await server?.close()
  await served?.dispose()
  await app?.dispose()
  process.env = env
  rmSync(dir, { recursive: true, force: true })
})

const http = async (method: string, body: unknown) => {
  const res = await fetch(`http://127.0.0.1:${server.port}/api/${method}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${server.token}` },
    body: JSON.stringify(body),
  })
  return (await res.json()) as { ok: boolean; value?: { experiment: { id: number }; run: { id: number } }; error?: { code: string } }
}
const withStore = async <T>(fn: (s: ExperimentStore) => Promise<T>) => {
  const s = await ExperimentStore.open(db)
  try {
    return await fn(s)
  } finally {
    await s.close()
  }
}
const stored = (run: RunRecord) => ({
  kind: run.kind,
  inputs: run.inputs,
  settings: run.settings,
  outputs: run.outputs,
  metrics: run.metrics,
  blobs: run.blobs,
  checkpoint: run.checkpoint,
  executionProvider: run.executionProvider,
  edits: run.edits.edits,
})
/** reopens a run through the app door's runner over the handler table */
const reopenInApp = async (runId: number) => withStore(async (s) => reopenRun(s, runId, handlerRunner(app.handlers(), await app.origin())))

describe('experiments.saveRun', () => {
  it('stores a predict run identically from the app, serve and the CLI, and each reopens reproduced from another door', async () => {
    const request = { text: TEXT, topK: 5, edits: EDITS }
    const shown = await dispatch('predict.next', request)
    expect(shown.ok).toBe(true)
    const fromApp = await dispatch('experiments.saveRun', { method: 'predict.next', request, name: 'app' })
    expect(fromApp).toMatchObject({ ok: true, value: { experiment: { name: 'app', editCount: 1 }, run: { kind: 'predict' } } })
    const fromServe = await http('experiments.saveRun', { method: 'predict.next', request, name: 'serve' })
    expect(fromServe.ok).toBe(true)
    const c = await cli([
      'predict',
      '--text',
      TEXT,
      '--top',
      '5',
      '--edits',
      join(dir, 'edits.json'),
      '--save-new',
      'cli',
      '--db',
      db,
      '--checkpoint',
      TINY,
    ])
    expect(c.code, c.stderr).toBe(0)
    const fromCli = c.json()
    expect(fromCli.next).toHaveLength(5)
    expect(fromCli.saved).toEqual({ experimentId: expect.any(Number), runId: expect.any(Number) })

    const runId = (r: typeof fromApp) => (r as { value: { run: { id: number } } }).value.run.id
    const runs = await withStore((s) =>
      Promise.all([runId(fromApp), fromServe.value!.run.id, fromCli.saved.runId].map((id) => s.getRun(id))),
    )
    expect(stored(runs[1])).toEqual(stored(runs[0]))
    expect(stored(runs[2])).toEqual(stored(runs[0]))
    expect(runs[0]).toMatchObject({
      inputs: { text: TEXT, ids: expect.any(Array) },
      settings: { topK: 5 },
      metrics: { top1Prob: expect.any(Number), meanLogProb: expect.any(Number), perplexity: expect.any(Number) },
    })
    expect(runs[0].blobs.logProbs.shape).toEqual([(runs[0].inputs.ids as number[]).length - 1])
    expect((runs[0].outputs.topk as { logit: number }[])[0].logit).toEqual(expect.any(Number))
    // saved right after it was shown: that very answer, not a second computation
    expect(runs[0].timingsMs.total).toBe((shown as { value: { timingsMs: { total: number } } }).value.timingsMs.total)

    expect((await reopenInApp(runs[2].id)).reproduced).toBe(true)
    const r = await cli(['experiment', 'reopen', String(runs[0].id), '--db', db, '--checkpoint', TINY])
    expect(r.code, r.stderr).toBe(0)
    expect(r.json()).toMatchObject({ kind: 'predict', reproduced: true })
  }, 180_000)

  it("refuses to add a run whose edits are not the experiment's, from serve and from the CLI, and writes nothing", async () => {
    const made = await http('experiments.saveRun', { method: 'predict.next', request: { text: TEXT, edits: EDITS }, name: 'edited' })
    const id = made.value!.experiment.id
    expect(await http('experiments.saveRun', { method: 'predict.next', request: { text: TEXT }, experimentId: id })).toMatchObject({
      ok: false,
      error: { code: 'edit-invalid' },
    })
    const other = { ...EDITS, edits: [{ ...EDITS.edits[0], factor: 2 }] }
    expect(
      await http('experiments.saveRun', { method: 'predict.next', request: { text: TEXT, edits: other }, experimentId: id }),
    ).toMatchObject({ ok: false, error: { code: 'edit-invalid' } })
    expect(await http('experiments.saveRun', { method: 'predict.next', request: { text: TEXT, topK: 0 }, name: 'bad' })).toMatchObject({
      ok: false,
      error: { code: 'bad-request' },
    })
    expect(
      await http('experiments.saveRun', { method: 'predict.next', request: { text: TEXT }, name: 'both', experimentId: id }),
    ).toMatchObject({ ok: false, error: { code: 'bad-request' } })
    const c = await cli(['predict', '--text', TEXT, '--save', String(id), '--db', db, '--checkpoint', TINY])
    expect(c.code).not.toBe(0)
    expect(c.stderr).toMatch(/^error\[edit-invalid\]/)
    expect((await cli(['predict', '--text', TEXT, '--save', String(id), '--save-new', 'x', '--db', db])).code).toBe(2)
    expect(await withStore((s) => s.runs(id))).toHaveLength(1)
    // with the experiment's own edits it is added
    const added = await cli([
      'predict',
      '--text',
      'The doctor',
      '--edits',
      join(dir, 'edits.json'),
      '--save',
      String(id),
      '--db',
      db,
      '--checkpoint',
      TINY,
    ])
    expect(added.code, added.stderr).toBe(0)
    expect(added.json().saved.experimentId).toBe(id)
    expect(await withStore((s) => s.runs(id))).toHaveLength(2)
  }, 120_000)
})
