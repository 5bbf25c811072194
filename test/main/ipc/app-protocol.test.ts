import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { APP_ENTRY_URL, createAppProtocolHandler } from '../../../src/main/ipc/app-protocol'
import { RENDERER_CSP } from '../../../src/shared/renderer-csp'

/**
 * The app:// protocol handler on a real folder: a renderer (index.html, assets), a secret beside
 * it, and symlinks in it pointing inside and outside.
 */
let base = ''
let serve: ReturnType<typeof createAppProtocolHandler>
const get = (url: string, method = 'GET') => serve(new Request(url, { method }))

beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), 'app-protocol-'))
  const renderer = join(base, 'renderer')
  mkdirSync(join(renderer, 'assets'), { recursive: true })
  writeFileSync(join(renderer, 'index.html'), '<!doctype html><div id="app"></div>')
  writeFileSync(join(renderer, 'assets/index-1.js'), 'console.log(1)')
  writeFileSync(join(renderer, 'assets/index-1.css'), 'body{}')
  writeFileSync(join(renderer, 'assets/data.bin'), 'x')
  writeFileSync(join(base, 'secret.txt'), 'secret')
  symlinkSync(join(base, 'secret.txt'), join(renderer, 'assets/leak.txt'))
  symlinkSync(base, join(renderer, 'up'))
  symlinkSync(join(renderer, 'assets/index-1.css'), join(renderer, 'assets/alias.css'))
  serve = createAppProtocolHandler(renderer)
})
afterAll(() => rmSync(base, { recursive: true, force: true }))

describe('app:// protocol', () => {
  it('serves index.html (also for /) with the CSP header, nosniff and the right types', async () => {
    for (const url of [APP_ENTRY_URL, 'app://workbench/', 'app://workbench/index.html?x=1#/senses']) {
      const res = await get(url)
      expect(res.status, url).toBe(200)
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8')
      expect(res.headers.get('content-security-policy')).toBe(RENDERER_CSP)
      expect(res.headers.get('x-content-type-options')).toBe('nosniff')
      expect(await res.text()).toContain('<div id="app">')
    }
    const js = await get('app://workbench/assets/index-1.js')
    expect([js.status, js.headers.get('content-type'), await js.text()]).toEqual([200, 'text/javascript; charset=utf-8', 'console.log(1)'])
    expect((await get('app://workbench/assets/index-1.css')).headers.get('content-type')).toBe('text/css; charset=utf-8')
    expect((await get('app://workbench/assets/data.bin')).headers.get('content-type')).toBe('application/octet-stream')
    const head = await get(APP_ENTRY_URL, 'HEAD')
    expect([head.status, await head.text()]).toEqual([200, ''])
  })

  it('follows a symlink that stays inside the folder', async () => {
    const res = await get('app://workbench/assets/alias.css')
    expect([res.status, await res.text()]).toEqual([200, 'body{}'])
  })

  it('never serves anything outside the folder: traversal, encoded separators, symlinks out', async () => {
    const attempts = [
      'app://workbench/../secret.txt',
      'app://workbench/%2e%2e/secret.txt',
      'app://workbench/assets/%2e%2e%2f%2e%2e%2fsecret.txt',
      'app://workbench/..%2fsecret.txt',
      'app://workbench/..%5csecret.txt',
      'app://workbench/assets/..\\..\\secret.txt',
      'app://workbench/%2F..%2F..%2Fsecret.txt',
      'app://workbench/assets/leak.txt', // symlink to ../secret.txt
      'app://workbench/up/secret.txt', // symlinked folder outside
      `app://workbench/${encodeURIComponent(join(base, 'secret.txt'))}`, // an absolute path
    ]
    for (const url of attempts) {
      const res = await get(url)
      expect(res.status, url).toBe(404)
      expect(await res.text(), url).not.toContain('secret')
    }
  })

  it('refuses other hosts and schemes, directories, missing files, bad encodings, NULs and writes', async () => {
    const notFound = [
      'app://evil/index.html',
      'https://workbench/index.html',
      'file:///etc/passwd',
      'app://workbench/assets',
      'app://workbench/assets/',
      'app://workbench/nope.html',
      'app://workbench/%E0%A4%A',
      'app://workbench/index.html%00.js',
    ]
    for (const url of notFound) expect((await get(url)).status, url).toBe(404)
    for (const method of ['POST', 'PUT', 'DELETE']) {
      const res = await get(APP_ENTRY_URL, method)
      expect(res.status, method).toBe(405)
      expect(res.headers.get('content-security-policy')).toBe(RENDERER_CSP)
    }
  })

  it('answers 500, not a crash, when the renderer folder is missing', async () => {
    const missing = createAppProtocolHandler(join(base, 'no-such-renderer'))
    expect((await missing(new Request(APP_ENTRY_URL))).status).toBe(500)
  })
})
