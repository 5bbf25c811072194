import { beforeEach, describe, expect, it, vi } from 'vitest'

// Electron's binary is not available here: mock the module with the parts register-ipc uses.
const handlers = new Map<string, (event: unknown, ...args: unknown[]) => unknown>()
vi.mock('electron', () => ({
  ipcMain: {
    handle: (channel: string, fn: (event: unknown, ...args: unknown[]) => unknown) => handlers.set(channel, fn),
    removeHandler: (channel: string) => handlers.delete(channel),
  },
}))

const { registerIpc } = await import('../../../src/main/ipc/register-ipc')
const { createDispatcher } = await import('../../../src/main/workbench/create-dispatcher')
const { Workbench } = await import('../../../src/main/workbench/workbench')
const { IPC_CHANNELS } = await import('../../../src/shared/ipc/api')
const { isTrustedSenderUrl } = await import('../../../src/main/ipc/trusted-sender')

const APP = 'file:///opt/app/out/renderer/index.html'

describe('registerIpc', () => {
  let sent: unknown[]
  let workbench: InstanceType<typeof Workbench>
  let dispose: () => void
  beforeEach(() => {
    handlers.clear()
    sent = []
    workbench = new Workbench({ transport: 'electron', version: 'test' })
    dispose = registerIpc({
      dispatch: createDispatcher(workbench.handlers()),
      subscribe: (l) => workbench.events.subscribe(l),
      appUrl: () => APP,
      target: () => ({ isDestroyed: () => false, send: (_c: string, e: unknown) => sent.push(e) }) as never,
    })
  })

  const invoke = (url: string | undefined, method: unknown, request: unknown) =>
    handlers.get(IPC_CHANNELS.invoke)!({ senderFrame: url === undefined ? null : { url } }, method, request)

  it('dispatches calls from our page through the validated contract', async () => {
    expect(await invoke(APP + '#/senses?word=%20nurse', 'tokens.encode', { text: ' nurse' })).toMatchObject({
      ok: true,
      value: { tokens: [{ id: 15849 }] },
    })
    expect(await invoke(APP, 'tokens.encode', { text: 5 })).toMatchObject({ ok: false, error: { code: 'bad-request' } })
    expect(await invoke(APP, 'shell.openExternal', {})).toMatchObject({ ok: false, error: { code: 'bad-request' } })
  })

  it('refuses calls from any other frame', async () => {
    for (const url of ['https://evil.example/', 'file:///tmp/other.html', 'data:text/html,hi', 'about:blank', undefined]) {
      expect(await invoke(url, 'app.info', {}), String(url)).toMatchObject({ ok: false, error: { code: 'unauthorized' } })
    }
  })

  it('forwards workbench events to the window and stops after dispose', () => {
    workbench.events.emit('model.progressed', { runId: null, phase: 'convert', done: 1, total: 2 })
    expect(sent).toEqual([{ name: 'model.progressed', payload: { runId: null, phase: 'convert', done: 1, total: 2 } }])
    dispose()
    workbench.events.emit('model.progressed', { runId: null, phase: 'convert', done: 2, total: 2 })
    expect(sent).toHaveLength(1)
    expect(handlers.has(IPC_CHANNELS.invoke)).toBe(false)
  })
})

describe('isTrustedSenderUrl', () => {
  it('accepts only our page (file) or the dev server origin', () => {
    expect(isTrustedSenderUrl(APP, APP)).toBe(true)
    expect(isTrustedSenderUrl(APP + '?x#/a', APP)).toBe(true)
    expect(isTrustedSenderUrl('file:///opt/app/out/renderer/other.html', APP)).toBe(false)
    expect(isTrustedSenderUrl('http://localhost:5173/#/x', 'http://localhost:5173/')).toBe(true)
    expect(isTrustedSenderUrl('http://localhost:5174/', 'http://localhost:5173/')).toBe(false)
    expect(isTrustedSenderUrl('not a url', APP)).toBe(false)
  })

  it('accepts the app:// page (any query or hash) and nothing else of that scheme', () => {
    const page = 'app://workbench/index.html'
    expect(isTrustedSenderUrl(page + '#/senses?word=%20nurse', page)).toBe(true)
    expect(isTrustedSenderUrl('app://WORKBENCH/index.html?x', page)).toBe(true)
    for (const url of [
      'app://workbench/assets/index.js',
      'app://evil/index.html',
      'file:///index.html',
      'https://workbench/index.html',
      'app:index.html',
    ]) {
      expect(isTrustedSenderUrl(url, page), url).toBe(false)
    }
  })
})
