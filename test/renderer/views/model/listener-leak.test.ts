import { cleanup, render, screen } from '@testing-library/svelte'
import { tick } from 'svelte'
import { afterEach, describe, expect, it } from 'vitest'
import App from '../../../../src/renderer/src/App.svelte'
import type { ModelInfo } from '../../../../src/shared/ipc/api-types'
import { fakeClient, ok } from '../../fake-client'

afterEach(() => cleanup())

const model: ModelInfo = {
  checkpointDir: '/demo',
  contentHash: 'demo-hash',
  config: { vocabSize: 50264, nEmbd: 768, nHead: 12, nLayer: 12, nPositions: 512, numSenses: 16 } as unknown as ModelInfo['config'],
  provider: { name: 'cpu', requested: 'auto', available: ['cpu'] },
  loadedAt: '2026-11-26T11:00:00Z',
  bundledDemo: true, // so the first-run panel (FirstRunState) is shown too
}

async function go(hash: string): Promise<void> {
  window.location.hash = hash
  window.dispatchEvent(new HashChangeEvent('hashchange'))
  await tick()
}

describe('Model view: no listener leak', () => {
  it('visiting #/model again and again leaves the number of event listeners unchanged', async () => {
    window.location.hash = '#/model'
    const fake = fakeClient({
      'app.info': () => ok({ version: 't', transport: 'http', model }),
      'model.recent': () => ok({ checkpoints: [] }),
    })
    render(App, { client: fake.client })
    await screen.findByRole('button', { name: /Get stanfordnlp\/backpack-gpt2/ })
    await screen.findByRole('button', { name: 'Run parity check' })
    const onModel = fake.listenerCount()
    await go('#/prompt')
    const away = fake.listenerCount()
    expect(away).toBeLessThan(onModel) // the Model view's states let go of their listeners
    for (let i = 0; i < 3; i++) {
      await go('#/model')
      await screen.findByRole('button', { name: 'Run parity check' })
      expect(fake.listenerCount()).toBe(onModel)
      await go('#/prompt')
      expect(fake.listenerCount()).toBe(away)
    }
  })
})
