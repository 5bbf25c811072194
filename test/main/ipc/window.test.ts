import { existsSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { electron, fakeEvent, FakeBrowserWindow, FakeWebContents } from './fake-electron'

vi.mock('electron', async () => (await import('./fake-electron')).electron)

const { appUrl, createMainWindow, hardenContents, rendererDir } = await import('../../../src/main/window')
const { EXTERNAL_LINK_HOSTS, isAllowedExternalUrl } = await import('../../../src/main/ipc/external-links')

const APP = 'app://workbench/index.html'

beforeEach(() => {
  delete process.env.ELECTRON_RENDERER_URL
  FakeBrowserWindow.instances.length = 0
  electron.shell.openExternal.mockClear()
})
afterEach(() => {
  delete process.env.ELECTRON_RENDERER_URL
})

describe('createMainWindow', () => {
  it('loads app://workbench/index.html in an isolated, sandboxed window without Node', () => {
    const win = createMainWindow() as unknown as FakeBrowserWindow
    expect(win.loadedUrl).toBe(APP)
    expect(win.options.webPreferences).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
    })
    expect(String(win.options.webPreferences.preload)).toMatch(/[\\/]preload[\\/]index\.cjs$/)
    expect(win.webContents.listenerCount('will-navigate')).toBe(1) // hardened
  })

  it('serves the renderer folder beside the main bundle, and the dev server under electron-vite dev', () => {
    expect(basename(rendererDir)).toBe('renderer')
    expect(existsSync(join(rendererDir, 'index.html'))).toBe(true) // src/renderer here, out/renderer when built
    expect(dirname(rendererDir)).toBe(
      dirname(dirname(String((createMainWindow() as unknown as FakeBrowserWindow).options.webPreferences.preload))),
    )
    process.env.ELECTRON_RENDERER_URL = 'http://localhost:5173/'
    expect(appUrl()).toBe('http://localhost:5173/')
    expect((createMainWindow() as unknown as FakeBrowserWindow).loadedUrl).toBe('http://localhost:5173/')
  })
})

describe('hardenContents', () => {
  const contents = () => {
    const wc = new FakeWebContents()
    hardenContents(wc as never)
    return wc
  }

  it('blocks navigations, frame navigations and redirects away from our page, for each event alike', () => {
    const wc = contents()
    const away = [
      'https://evil.example/',
      'http://localhost:5173/',
      'file:///etc/passwd',
      'app://evil/index.html',
      'app://workbench/assets/index.js',
      'javascript:alert(1)',
      'data:text/html,hi',
      'about:blank',
      'not a url',
    ]
    const stay = [APP, APP + '#/senses?word=%20nurse', 'app://WORKBENCH/index.html?x=1']
    for (const name of ['will-navigate', 'will-frame-navigate', 'will-redirect']) {
      for (const url of away) {
        const e = fakeEvent(url)
        wc.emit(name, e)
        expect(e.defaultPrevented, `${name} ${url}`).toBe(true)
      }
      for (const url of stay) {
        const e = fakeEvent(url)
        wc.emit(name, e)
        expect(e.defaultPrevented, `${name} ${url}`).toBe(false)
      }
    }
  })

  it('in electron-vite dev, allows the dev server origin only', () => {
    process.env.ELECTRON_RENDERER_URL = 'http://localhost:5173/'
    const wc = contents()
    const ok = fakeEvent('http://localhost:5173/#/x')
    const bad = fakeEvent('http://localhost:5174/')
    wc.emit('will-redirect', ok)
    wc.emit('will-redirect', bad)
    expect([ok.defaultPrevented, bad.defaultPrevented]).toEqual([false, true])
  })

  it('never attaches a <webview>, and cancels Bluetooth device choosers', () => {
    const wc = contents()
    const attach = fakeEvent()
    wc.emit('will-attach-webview', attach)
    expect(attach.defaultPrevented).toBe(true)
    const choose = fakeEvent()
    const callback = vi.fn()
    wc.emit('select-bluetooth-device', choose, [{ deviceId: 'a', deviceName: 'pod' }], callback)
    expect(choose.defaultPrevented).toBe(true)
    expect(callback).toHaveBeenCalledWith('')
  })

  it('denies every new window; the app links to no outside host, so nothing opens externally', () => {
    const wc = contents()
    expect(EXTERNAL_LINK_HOSTS).toEqual([])
    for (const url of [
      'https://huggingface.co/stanfordnlp/backpack-gpt2',
      'https://evil.example/',
      'http://example.com/',
      'file:///etc/passwd',
      'javascript:alert(1)',
      APP,
    ]) {
      expect(wc.openHandler!({ url }), url).toEqual({ action: 'deny' })
    }
    expect(electron.shell.openExternal).not.toHaveBeenCalled()
  })
})

describe('isAllowedExternalUrl', () => {
  it('takes https links to a listed host only, without credentials or ports', () => {
    const hosts = ['huggingface.co']
    expect(isAllowedExternalUrl('https://huggingface.co/stanfordnlp/backpack-gpt2', hosts)).toBe(true)
    expect(isAllowedExternalUrl('https://HuggingFace.co/x', hosts)).toBe(true)
    for (const url of [
      'http://huggingface.co/',
      'https://evil.huggingface.co/',
      'https://huggingface.co.evil.example/',
      'https://user:pw@huggingface.co/',
      'https://huggingface.co:8443/',
      'javascript:alert(1)',
      'not a url',
      '',
    ]) {
      expect(isAllowedExternalUrl(url, hosts), url).toBe(false)
    }
    expect(isAllowedExternalUrl('https://huggingface.co/')).toBe(false) // the app's own list is empty
  })
})
