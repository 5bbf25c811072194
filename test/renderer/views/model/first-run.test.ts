import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/svelte'
import { afterEach, describe, expect, it } from 'vitest'
import { AppState } from '../../../../src/renderer/src/state/app-state.svelte'
import ModelView from '../../../../src/renderer/src/views/model/ModelView.svelte'
import type { ModelInfo } from '../../../../src/shared/ipc/api-types'
import { fakeClient, ok, type Responders } from '../../fake-client'

afterEach(() => cleanup())

const DEMO = '/app/resources/demo-backpack'
const SNAPSHOT = '/cache/hub/models--stanfordnlp--backpack-gpt2/snapshots/abc123'
const model = (checkpointDir: string, bundledDemo: boolean): ModelInfo => ({
  checkpointDir,
  contentHash: bundledDemo ? 'demo-hash' : 'full-hash',
  config: { vocabSize: 50264, nEmbd: 768, nHead: 12, nLayer: 12, nPositions: 512, numSenses: 16 } as unknown as ModelInfo['config'],
  provider: { name: 'cpu', requested: 'auto', available: ['cpu'] },
  loadedAt: '2026-11-26T11:00:00Z',
  bundledDemo,
})

/** A server that has the demo loaded and remembers what model.load opened. */
function setup(extra: Responders = {}) {
  let recent = [DEMO]
  let current = model(DEMO, true)
  const fake = fakeClient({
    'app.info': () => ok({ version: 't', transport: 'http', model: current }),
    'model.recent': () => ok({ checkpoints: recent }),
    'hub.download': () => ok({ jobId: 'job-1', repo: 'stanfordnlp/backpack-gpt2', revision: 'main' }),
    'model.load': ({ checkpoint }) => {
      fake.emit('model.progressed', { runId: null, phase: 'convert', done: 0.5, total: 1 })
      current = model(checkpoint!, false)
      recent = [checkpoint!, ...recent.filter((d) => d !== checkpoint)]
      return ok(current)
    },
    ...extra,
  })
  return fake
}

const getButton = () => screen.findByRole('button', { name: 'Get stanfordnlp/backpack-gpt2 (684 MB)' })

describe('Model view first run', () => {
  it('offers the full model while the bundled demo is loaded: download with progress, then load; the recent list remembers it', async () => {
    const { client, calls, emit } = setup()
    const app = new AppState(client)
    await app.refresh()
    render(ModelView, { app })
    await fireEvent.click(await getButton())
    expect(calls.find((c) => c.method === 'hub.download')?.request).toEqual({ repo: 'stanfordnlp/backpack-gpt2', load: false })

    emit('hub.progressed', {
      jobId: 'job-1',
      progress: { phase: 'downloading', file: 'pytorch_model.bin', bytes: 342e6, total: 684e6, rate: 1e7, etaSeconds: 34 },
    })
    const status = await screen.findByTestId('first-run-status')
    await waitFor(() => expect(status.textContent).toContain('342.0 / 684.0 MB'))
    expect(status.textContent).toContain('34 s left')
    // another job's progress is not ours
    emit('hub.progressed', { jobId: 'other', progress: { phase: 'downloading', file: 'x', bytes: 1, total: 2, rate: 0, etaSeconds: null } })
    expect(screen.getByTestId('first-run-status').textContent).toContain('342.0 / 684.0 MB')

    emit('hub.finished', {
      jobId: 'job-1',
      result: ok({ repo: 'stanfordnlp/backpack-gpt2', revision: 'main', commit: 'abc123', snapshot: SNAPSHOT, bytesDownloaded: 684e6 }),
    })
    await waitFor(() => expect(calls.some((c) => c.method === 'model.load')).toBe(true))
    expect(calls.find((c) => c.method === 'model.load')?.request).toEqual({ checkpoint: SNAPSHOT })
    // loaded: the full model's folder is shown, the offer is gone, the recent list has it first
    await waitFor(() => expect(screen.queryByTestId('first-run')).toBeNull())
    expect(screen.getByTestId('model-info').textContent).toContain(SNAPSHOT)
    expect(app.recent).toEqual([SNAPSHOT, DEMO])
    expect(await screen.findByRole('button', { name: SNAPSHOT })).toBeTruthy()
  })

  it('shows a failed download and does not load anything', async () => {
    const { client, calls, emit } = setup()
    const app = new AppState(client)
    await app.refresh()
    render(ModelView, { app })
    await fireEvent.click(await getButton())
    emit('hub.finished', {
      jobId: 'job-1',
      result: { ok: false, error: { code: 'hub-offline', message: 'offline and pytorch_model.bin is not cached' } },
    })
    expect((await screen.findByRole('alert')).textContent).toContain('hub-offline')
    expect(calls.some((c) => c.method === 'model.load')).toBe(false)
    expect(screen.getByTestId('first-run')).toBeTruthy() // still on the demo: can try again
  })

  it('shows a conversion error from the load after the download', async () => {
    const { client, emit } = setup({
      'model.load': () => ({ ok: false, error: { code: 'checkpoint-shape', message: 'sense_network weight missing' } }),
    })
    const app = new AppState(client)
    await app.refresh()
    render(ModelView, { app })
    await fireEvent.click(await getButton())
    emit('hub.finished', {
      jobId: 'job-1',
      result: ok({ repo: 'stanfordnlp/backpack-gpt2', revision: 'main', commit: 'abc123', snapshot: SNAPSHOT, bytesDownloaded: 1 }),
    })
    await waitFor(() => expect(screen.getAllByRole('alert').some((a) => a.textContent?.includes('checkpoint-shape'))).toBe(true))
  })

  it('is not offered when another checkpoint is loaded', async () => {
    const { client } = fakeClient({
      'app.info': () =>
        ok({
          version: 't',
          transport: 'http',
          model: model('/ckpt', false),
        }),
      'model.recent': () => ok({ checkpoints: [] }),
    })
    const app = new AppState(client)
    await app.refresh()
    render(ModelView, { app })
    await screen.findByTestId('model-info')
    expect(screen.queryByTestId('first-run')).toBeNull()
  })

  it('refreshes the recent list when a model is loaded elsewhere (model.loaded event)', async () => {
    let recent: string[] = []
    const { client, emit } = fakeClient({ 'model.recent': () => ok({ checkpoints: recent }) })
    const app = new AppState(client)
    recent = ['/menu-opened']
    emit('model.loaded', { model: model('/menu-opened', false) })
    await waitFor(() => expect(app.recent).toEqual(['/menu-opened']))
  })
})
