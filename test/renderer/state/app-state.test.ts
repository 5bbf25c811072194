import { describe, expect, it } from 'vitest'
import { AppState } from '../../../src/renderer/src/state/app-state.svelte'
import type { ModelInfo } from '../../../src/shared/ipc/api-types'
import { fakeClient, ok } from '../fake-client'

describe('AppState', () => {
  it('re-reads the app state when the event stream (re)opens, so a model.loaded sent before it opened is not lost', async () => {
    let model: ModelInfo | null = null
    const { client, calls, reconnect } = fakeClient({
      'app.info': () => ok({ version: 't', transport: 'http', model }),
      'model.recent': () => ok({ checkpoints: [] }),
    })
    const app = new AppState(client)
    await app.refresh()
    expect(app.model).toBeNull()
    // the server finishes loading while no stream is open: its model.loaded reaches nobody
    model = { checkpoint: '/ckpt', contentHash: 'h' } as unknown as ModelInfo
    expect(app.model).toBeNull()
    reconnect()
    await new Promise((r) => setTimeout(r, 0))
    expect(app.model).toEqual(model)
    expect(calls.filter((c) => c.method === 'app.info')).toHaveLength(2)
  })
})
