import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, describe, expect, it, vi } from 'vitest'
import { electron, fakeEvent, FakeBrowserWindow, FakeSession, FakeWebContents, recorded } from './fake-electron'

/**
 * The Electron entry, booted in plain Node with `electron` mocked: the app:// scheme is
 * privileged before `ready`, the renderer is served from it with the CSP header, the window loads
 * it, every session is locked down, and IPC answers our page only. The real workbench runs behind
 * it (with empty data, cache and resources folders, so no model loads).
 *
 * By default this boots src/main/index.ts. After `npm run build`, point it at the bundle to check
 * what ships: BACKPACK_MAIN_ENTRY=out/main/index.js npx vitest run test/main/ipc/main-entry.test.ts
 */
vi.mock('electron', async () => (await import('./fake-electron')).electron)

const APP = 'app://workbench/index.html'
const temp = mkdtempSync(join(tmpdir(), 'main-entry-'))
const KEYS = ['ELECTRON_RENDERER_URL', 'BACKPACK_DATA_DIR', 'BACKPACK_CACHE_DIR', 'BACKPACK_RESOURCES_DIR'] as const
const saved = Object.fromEntries(KEYS.map((k) => [k, process.env[k]]))
delete process.env.ELECTRON_RENDERER_URL
Object.assign(process.env, {
  BACKPACK_DATA_DIR: join(temp, 'data'),
  BACKPACK_CACHE_DIR: join(temp, 'cache'),
  BACKPACK_RESOURCES_DIR: join(temp, 'resources'),
})
const entry = resolve(process.env.BACKPACK_MAIN_ENTRY ?? 'src/main/index.ts')

// module evaluation: everything that must happen before `ready`
await import(/* @vite-ignore */ pathToFileURL(entry).href)
const beforeReady = {
  schemes: [...recorded.schemes],
  handlers: recorded.protocolHandlers.size,
  windows: FakeBrowserWindow.instances.length,
}
recorded.ready()
await new Promise((r) => setTimeout(r, 0))

afterAll(async () => {
  electron.app.emit('will-quit') // disposes the workbench
  await new Promise((r) => setTimeout(r, 50))
  for (const k of KEYS) {
    if (saved[k] === undefined) delete process.env[k]
    else process.env[k] = saved[k]
  }
  rmSync(temp, { recursive: true, force: true })
})

describe(`the Electron entry (${process.env.BACKPACK_MAIN_ENTRY ?? 'src/main/index.ts'})`, () => {
  it('registers app:// as a standard, secure scheme before ready, and serves nothing until then', () => {
    expect(beforeReady.schemes).toEqual([{ scheme: 'app', privileges: expect.objectContaining({ standard: true, secure: true }) }])
    expect(beforeReady.schemes[0].privileges).not.toHaveProperty('bypassCSP')
    expect(beforeReady.handlers).toBe(0)
    expect(beforeReady.windows).toBe(0)
  })

  it('opens one window on app://workbench/index.html, which the protocol serves with the CSP header', async () => {
    expect(FakeBrowserWindow.instances.map((w) => w.loadedUrl)).toEqual([APP])
    const serve = recorded.protocolHandlers.get('app')!
    const page = await serve(new Request(APP))
    expect(page.status).toBe(200)
    expect(page.headers.get('content-security-policy')).toMatch(/script-src 'self'/)
    expect(page.headers.get('content-security-policy')).not.toMatch(/unsafe-inline|unsafe-eval/)
    const html = await page.text()
    expect(html).toContain('<div id="app">')
    expect(html).not.toMatch(/http-equiv="Content-Security-Policy"/)
    // every script and stylesheet the page names is served from the same folder
    const refs = [...html.matchAll(/(?:src|href)="\.\/([^"]+)"/g)].map((m) => m[1])
    expect(refs.length).toBeGreaterThan(0)
    for (const ref of refs) expect((await serve(new Request(`app://workbench/${ref}`))).status, ref).toBe(200)
    expect((await serve(new Request('app://workbench/../main/index.js'))).status).toBe(404)
  })

  it('locks down the default session and every session created later; hardens every web contents', () => {
    const d = electron.session.defaultSession
    expect(d.permissionCheck?.(null, 'media')).toBe(false)
    expect(d.devicePermission?.({})).toBe(false)
    const later = new FakeSession()
    electron.app.emit('session-created', later)
    expect(later.permissionCheck?.(null, 'hid')).toBe(false)
    const wc = new FakeWebContents()
    electron.app.emit('web-contents-created', fakeEvent(), wc)
    const nav = fakeEvent('https://evil.example/')
    wc.emit('will-frame-navigate', nav)
    expect(nav.defaultPrevented).toBe(true)
  })

  it('answers IPC from our page and refuses it from anywhere else', async () => {
    const [channel, invoke] = [...recorded.ipcHandlers.entries()][0]
    expect(channel).toBe('workbench:invoke')
    expect(await invoke({ senderFrame: { url: APP + '#/model' } }, 'app.info', {})).toMatchObject({
      ok: true,
      value: { transport: 'electron', version: '0.0.0-test' },
    })
    for (const url of ['file:///opt/app/out/renderer/index.html', 'app://evil/index.html', 'https://evil.example/']) {
      expect(await invoke({ senderFrame: { url } }, 'app.info', {}), url).toMatchObject({ ok: false, error: { code: 'unauthorized' } })
    }
  })
})
