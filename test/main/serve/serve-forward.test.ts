import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RunningServer } from '../../../src/main/serve/serve-workbench'
import { startServe } from '../../../src/main/serve/start-serve'
import { createDispatcher } from '../../../src/main/workbench/create-dispatcher'
import type { Workbench } from '../../../src/main/workbench/workbench'
import type { SenseEditDocument } from '../../../src/shared/edits/sense-edits'
import type { ForwardResponse } from '../../../src/shared/ipc/api-types'
import { parseJson } from '../../../src/shared/ipc/typed-array-json'
import { checkpointPath, golden } from '../runtime/core-fixture'

/** predict.forward from serve's HTTP door (tensors as tagged base64) and the in-process dispatcher (Electron's door). */
const saved = process.env.BACKPACK_CACHE_DIR
const g = golden('odd-safetensors') // 1000 tokens, 8 senses, d_model 96, 48 positions
const edits: SenseEditDocument = {
  format: 'backpack-sense-edits',
  version: 1,
  edits: [{ kind: 'scale-sense', token: g.ids[1], sense: [1, 3], factor: 2.5 }],
}
let dir: string
let server: RunningServer
let workbench: Workbench

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'serve-forward-'))
  process.env.BACKPACK_CACHE_DIR = join(dir, 'cache')
  const web = join(dir, 'web')
  mkdirSync(web)
  writeFileSync(join(web, 'index.html'), '<!doctype html><title>t</title>')
  ;({ server, workbench } = await startServe({ webRoot: web, version: 'test', port: 0 }))
  await workbench.open({ checkpointDir: checkpointPath('odd-safetensors') })
}, 120_000)
afterAll(async () => {
  await server?.close()
  await workbench?.dispose()
  if (saved === undefined) delete process.env.BACKPACK_CACHE_DIR
  else process.env.BACKPACK_CACHE_DIR = saved
  rmSync(dir, { recursive: true, force: true })
})

async function call(
  method: string,
  body: unknown,
): Promise<{ raw: string; result: { ok: boolean; value?: unknown; error?: { code: string } } }> {
  const res = await fetch(`http://127.0.0.1:${server.port}/api/${method}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${server.token}` },
    body: JSON.stringify(body),
  })
  const raw = await res.text()
  return { raw, result: parseJson(raw) as { ok: boolean; value?: unknown; error?: { code: string } } }
}

function expectSameArrays(got: ForwardResponse, want: { logits: Float32Array; senses: Float32Array; contextualization: Float32Array }) {
  for (const name of ['logits', 'senses', 'contextualization'] as const) {
    expect(got[name], name).toBeInstanceOf(Float32Array)
    expect(got[name], name).toEqual(want[name]) // the same engine: bit for bit
  }
}

describe('predict.forward over serve', () => {
  it("answers the engine's forward arrays as Float32Array (tagged base64 on the wire), with ids and shapes", async () => {
    const { raw, result } = await call('predict.forward', { ids: g.ids })
    expect(result.ok, raw.slice(0, 300)).toBe(true)
    expect(raw).toContain('"logits":{"$float32":"')
    const r = result.value as ForwardResponse
    const T = g.ids.length
    expect(r.ids).toEqual(g.ids)
    expect(r.shapes).toEqual({ logits: [T, 1000], senses: [8, T, 96], contextualization: [8, T, T] })
    expect(r.logits.length).toBe(T * 1000)
    expect(r.provider.name).toBe('cpu')
    expect(r.contentHash).toBe(workbench.model!.contentHash)
    expect(r.truncatedFrom).toBeUndefined()
    expectSameArrays(r, await workbench.session!.engine.forward(g.ids))
  })

  it('under edits: the runner’s edited arrays and the validated document', async () => {
    const { result } = await call('predict.forward', { ids: g.ids, edits })
    expect(result.ok).toBe(true)
    const r = result.value as ForwardResponse
    expect(r.edits?.edits).toHaveLength(1)
    const s = workbench.session!
    const want = await s.runner.run(g.ids, await s.parseEdits(edits))
    expectSameArrays(r, want)
    expect(r.logits).not.toEqual((await s.engine.forward(g.ids)).logits)
  })

  it('a prompt past n_positions is too-long unless truncate keeps the first n_positions', async () => {
    const long = Array.from({ length: 49 }, (_, i) => i)
    expect((await call('predict.forward', { ids: long })).result).toMatchObject({ ok: false, error: { code: 'too-long' } })
    const { result } = await call('predict.forward', { ids: long, truncate: true })
    const r = result.value as ForwardResponse
    expect(r.ids).toEqual(long.slice(0, 48))
    expect(r.truncatedFrom).toBe(49)
    expect(r.shapes.contextualization).toEqual([8, 48, 48])
    expectSameArrays(r, await workbench.session!.engine.forward(long.slice(0, 48)))
  })

  it('refuses both or neither prompt, ids outside the vocabulary and unknown fields (bad-request)', async () => {
    for (const body of [{}, { ids: [1], text: 'a' }, { ids: [1, 1000] }, { ids: [1], extra: true }, { ids: [1], truncate: 'yes' }])
      expect((await call('predict.forward', body)).result, JSON.stringify(body)).toMatchObject({
        ok: false,
        error: { code: 'bad-request' },
      })
  })

  it("Electron's door (the dispatcher, structured clone) gets Float32Array as they are", async () => {
    const res = await createDispatcher(workbench.handlers())('predict.forward', { ids: g.ids.slice(0, 5) })
    expect(res.ok).toBe(true)
    const r = (res as { ok: true; value: ForwardResponse }).value
    const cloned = structuredClone(r)
    expect(cloned.senses).toBeInstanceOf(Float32Array)
    expectSameArrays(cloned, await workbench.session!.engine.forward(g.ids.slice(0, 5)))
  })
})
