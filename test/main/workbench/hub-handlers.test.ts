import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDispatcher } from '../../../src/main/workbench/create-dispatcher'
import { Workbench } from '../../../src/main/workbench/workbench'
import type { ApiEvent } from '../../../src/shared/ipc/api'
import { startFakeHub, type FakeHub } from '../hub/fake-hub-server'

// A real download from a local fake Hub (HTTP on 127.0.0.1) into a temp HF cache, then a real load.
const FIXTURE = resolve('test/fixtures/checkpoints/tiny-fullvocab')
const REPO = 'stanfordnlp/backpack-gpt2'
const env = { ...process.env }
let hub: FakeHub
let workbench: Workbench

beforeAll(async () => {
  hub = await startFakeHub(REPO, 'c'.repeat(40), [
    { path: 'config.json', content: readFileSync(join(FIXTURE, 'config.json')), lfs: false },
    { path: 'model.safetensors', content: readFileSync(join(FIXTURE, 'model.safetensors')), lfs: true },
  ])
  const dir = mkdtempSync(join(tmpdir(), 'bw-hub-'))
  Object.assign(process.env, {
    HF_ENDPOINT: hub.url,
    HF_HUB_CACHE: join(dir, 'hf'),
    BACKPACK_CACHE_DIR: join(dir, 'cache'),
    BACKPACK_DATA_DIR: join(dir, 'data'),
  })
  delete process.env.HF_TOKEN
  workbench = new Workbench({ transport: 'http', version: 'test' })
})
afterAll(async () => {
  await workbench?.dispose()
  await hub?.close()
  process.env = env
})

describe('hub methods', () => {
  it('download answers with a job at once, reports progress, then loads the snapshot', async () => {
    const dispatch = createDispatcher(workbench.handlers())
    const events: ApiEvent[] = []
    const loaded = new Promise<void>((res) =>
      workbench.events.subscribe((e) => {
        events.push(e)
        if (e.name === 'model.loaded') res()
      }),
    )
    expect(await dispatch('hub.cached', { repo: REPO })).toEqual({ ok: true, value: { snapshot: null } })
    const started = await dispatch('hub.download', { repo: REPO })
    expect(started).toMatchObject({ ok: true, value: { repo: REPO, revision: 'main' } })
    const jobId = (started as { value: { jobId: string } }).value.jobId
    await loaded
    expect(events.some((e) => e.name === 'hub.progressed' && (e.payload as { jobId: string }).jobId === jobId)).toBe(true)
    const finished = events.find((e) => e.name === 'hub.finished')!
    expect(finished.payload).toMatchObject({ jobId, result: { ok: true, value: { commit: 'c'.repeat(40) } } })
    const snapshot = (finished.payload as { result: { value: { snapshot: string } } }).result.value.snapshot
    expect(await dispatch('model.info', {})).toMatchObject({ ok: true, value: { checkpointDir: snapshot } })
    expect(await dispatch('hub.cached', { repo: REPO })).toEqual({ ok: true, value: { snapshot } })
    expect(await dispatch('model.recent', {})).toMatchObject({ ok: true, value: { checkpoints: [snapshot] } })
  })

  it('refuses malformed repos and unknown jobs with typed results', async () => {
    const dispatch = createDispatcher(workbench.handlers())
    expect(await dispatch('hub.download', { repo: '../../etc' })).toMatchObject({ ok: false })
    expect(await dispatch('hub.cancel', { jobId: 'nope' })).toEqual({ ok: true, value: { cancelled: false } })
  })
})
