import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { serveWorkbench, type RunningServer } from '../../../src/main/serve/serve-workbench'
import { rawRequest, resultCode } from './raw-http'

/** serve's door checks: Host, Origin, bodies over the limit, static files behind symlinks. */
let server: RunningServer
let dir: string
const calls: string[] = []

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'bw-guard-'))
  const web = join(dir, 'web')
  mkdirSync(join(web, 'assets'), { recursive: true })
  writeFileSync(join(web, 'index.html'), '<!doctype html><title>t</title>')
  writeFileSync(join(web, 'assets', 'app.js'), 'console.log(1)')
  writeFileSync(join(dir, 'secret.txt'), 'secret')
  mkdirSync(join(dir, 'outside'))
  writeFileSync(join(dir, 'outside', 'x.js'), 'secret')
  symlinkSync(join(dir, 'secret.txt'), join(web, 'leak.txt'))
  symlinkSync(join(dir, 'outside'), join(web, 'linked'))
  symlinkSync(join(web, 'loop-a'), join(web, 'loop-b'))
  symlinkSync(join(web, 'loop-b'), join(web, 'loop-a'))
  symlinkSync(join(web, 'assets', 'app.js'), join(web, 'inside.js'))
  server = await serveWorkbench({
    dispatch: async (method) => {
      calls.push(String(method))
      return { ok: true, value: { method } }
    },
    subscribe: () => () => {},
    webRoot: web,
  })
})
afterAll(async () => {
  await server?.close()
  rmSync(dir, { recursive: true, force: true })
})

const api = (headers: Record<string, string> = {}, body = '{}') =>
  rawRequest(server.port, {
    method: 'POST',
    path: '/api/app.info',
    headers: { Authorization: `Bearer ${server.token}`, 'Content-Type': 'application/json', ...headers },
    body,
  })

describe('serve request guard', () => {
  it('answers its own Host (bound address or localhost, with the port) and refuses any other with 403', async () => {
    const p = server.port
    for (const host of [`127.0.0.1:${p}`, `localhost:${p}`, `LOCALHOST:${p}`])
      expect(resultCode(await api({ Host: host })), host).toBe('ok')
    for (const host of [
      `evil.example:${p}`,
      'localhost',
      '127.0.0.1',
      `127.0.0.1:${p + 1}`,
      `localhost.evil.example:${p}`,
      `127.0.0.1:${p}@evil`,
      '',
    ]) {
      const answer = await api({ Host: host })
      expect(answer.status, host).toBe(403)
      expect(resultCode(answer), host).toBe('unauthorized')
    }
    const page = await rawRequest(p, { path: '/', headers: { Host: `rebound.example:${p}` } })
    expect(page.status).toBe(403)
  })

  it('allows its own Origin and no Origin (a client that is not a browser); refuses a foreign one', async () => {
    const p = server.port
    expect(resultCode(await api({ Origin: `http://127.0.0.1:${p}` }))).toBe('ok')
    expect(resultCode(await api({ Host: `localhost:${p}`, Origin: `http://localhost:${p}` }))).toBe('ok')
    expect(resultCode(await api())).toBe('ok')
    const before = calls.length
    for (const origin of ['http://evil.example', 'null', `https://127.0.0.1:${p}`, `http://127.0.0.1:${p + 1}`, `http://localhost:${p}`]) {
      const answer = await api({ Origin: origin })
      expect(answer.status, origin).toBe(403)
      expect(resultCode(answer), origin).toBe('unauthorized')
    }
    expect(calls.length).toBe(before) // nothing refused reached the handlers
  })

  it('answers a body over 16 MB with 413 and a JSON error, declared or streamed, and keeps serving', async () => {
    const big = Buffer.alloc(20 * 1024 * 1024, 0x20)
    const declared = await api({}, big as unknown as string)
    expect(declared.status).toBe(413)
    expect(resultCode(declared)).toBe('bad-request')
    const streamed = await rawRequest(server.port, {
      method: 'POST',
      path: '/api/app.info',
      headers: { Authorization: `Bearer ${server.token}`, 'Transfer-Encoding': 'chunked' },
      body: big,
    })
    expect(streamed.status).toBe(413)
    expect(resultCode(streamed)).toBe('bad-request')
    expect(resultCode(await api())).toBe('ok')
  })

  it('serves files only from real paths inside the web root: symlinks out of it and loops are not found', async () => {
    const get = async (path: string) => (await rawRequest(server.port, { path })).status
    expect(await get('/assets/app.js')).toBe(200)
    expect(await get('/inside.js')).toBe(200) // a link that stays inside the root
    for (const path of [
      '/leak.txt',
      '/linked/x.js',
      '/loop-a',
      '/loop-b/x',
      '/../secret.txt',
      '/%2e%2e/secret.txt',
      '/assets/../../secret.txt',
    ])
      expect(await get(path), path).toBe(404)
  })
})
