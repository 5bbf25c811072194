import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseRequest } from '../../../src/shared/ipc/parse-request'
import { startServe } from '../../../src/main/serve/start-serve'
import type { RunningServer } from '../../../src/main/serve/serve-workbench'
import type { Workbench } from '../../../src/main/workbench/workbench'

let server: RunningServer
let workbench: Workbench

beforeAll(async () => {
  const web = mkdtempSync(join(tmpdir(), 'bw-web-'))
  writeFileSync(join(web, 'index.html'), '<!doctype html><title>t</title>')
  writeFileSync(join(web, 'app.js'), 'console.log(1)')
  writeFileSync(join(tmpdir(), 'bw-secret.txt'), 'secret')
  ;({ server, workbench } = await startServe({ webRoot: web, version: 'test', port: 0 }))
})
afterAll(async () => {
  await server?.close()
  await workbench?.dispose()
})

const base = () => `http://127.0.0.1:${server.port}`
const call = (method: string, body: unknown, token: string | null = server.token) =>
  fetch(`${base()}/api/${method}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...(token !== null ? { Authorization: `Bearer ${token}` } : {}) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  })

describe('serve', () => {
  it('binds 127.0.0.1 and prints a URL carrying a random token', () => {
    expect(server.host).toBe('127.0.0.1')
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/?token=${server.token}`)
    expect(server.token.length).toBeGreaterThanOrEqual(24)
  })

  it('refuses API calls without the token or with a wrong one (401)', async () => {
    const none = await call('app.info', {}, null)
    expect(none.status).toBe(401)
    expect(await none.json()).toMatchObject({ ok: false, error: { code: 'unauthorized' } })
    // one character changed (never the same character: a random token may start with 'x')
    const wrong = (server.token[0] === 'x' ? 'y' : 'x') + server.token.slice(1)
    expect((await call('app.info', {}, wrong)).status).toBe(401)
    expect((await call('app.info', {}, '')).status).toBe(401)
    expect((await fetch(`${base()}/api/events`)).status).toBe(401)
  })

  it('answers API calls with the same Results as the dispatcher', async () => {
    const info = await call('app.info', {})
    expect(info.status).toBe(200)
    expect(await info.json()).toMatchObject({ ok: true, value: { transport: 'http', version: 'test' } })
    const enc = await (await call('tokens.encode', { text: ' nurse' })).json()
    expect(enc).toMatchObject({ ok: true, value: { tokens: [{ id: 15849, text: ' nurse' }] } })
    expect(await (await call('nope.never', {})).json()).toMatchObject({ ok: false, error: { code: 'bad-request' } })
    expect(await (await call('tokens.encode', { text: 1 })).json()).toMatchObject({ ok: false, error: { code: 'bad-request' } })
  })

  it("generate.run takes the CLI's ranges and refuses sampling settings with greedy decoding, naming the field", async () => {
    const refused: [Record<string, unknown>, RegExp][] = [
      [{ seed: 5 }, /seed: seed is a sampling setting and strategy is "greedy"/],
      [
        { strategy: 'greedy', temperature: 0.7, topP: 0.9 },
        /temperature: temperature is a sampling setting.*; topP: topP is a sampling setting/,
      ],
      [{ strategy: 'sample', seed: 2 ** 32 }, /seed: .*4294967295/],
      [{ strategy: 'sample', temperature: 100.5 }, /temperature: .*100/],
      [{ strategy: 'sample', temperature: 0 }, /temperature: /],
      [{ maxNewTokens: 0 }, /maxNewTokens: .*1/],
      [{ maxNewTokens: 513 }, /maxNewTokens: .*512/],
    ]
    for (const [settings, message] of refused) {
      const body = (await (await call('generate.run', { text: 'The nurse', ...settings })).json()) as {
        ok: boolean
        error: { code: string; message: string }
      }
      expect(body, JSON.stringify(settings)).toMatchObject({ ok: false, error: { code: 'bad-request' } })
      expect(body.error.message).toMatch(message)
    }
    // the largest of each range passes the door (what the CLI takes too)
    expect(
      parseRequest('generate.run', {
        text: 'x',
        strategy: 'sample',
        seed: 2 ** 32 - 1,
        temperature: 100,
        maxNewTokens: 512,
        topK: 100_000,
        topP: 1,
      }),
    ).toMatchObject({ seed: 4294967295, temperature: 100 })
    expect(parseRequest('generate.run', { text: 'x' })).toMatchObject({ strategy: 'greedy', maxNewTokens: 32 })
  })

  it("suites.topic takes the CLI's suite topic ranges: samples [1, 10000], maxNewTokens [1, 512]", async () => {
    for (const [settings, message] of [
      [{ samples: 10_001 }, /samples: .*10000/],
      [{ samples: 0 }, /samples: /],
      [{ maxNewTokens: 513 }, /maxNewTokens: .*512/],
      [{ maxNewTokens: 0 }, /maxNewTokens: /],
    ] as [Record<string, unknown>, RegExp][]) {
      const body = (await (await call('suites.topic', settings)).json()) as { ok: boolean; error: { code: string; message: string } }
      expect(body, JSON.stringify(settings)).toMatchObject({ ok: false, error: { code: 'bad-request' } })
      expect(body.error.message).toMatch(message)
    }
    // the largest of each range passes the door (was refused above 500 samples / 256 tokens)
    expect(parseRequest('suites.topic', { samples: 10_000, maxNewTokens: 512 })).toMatchObject({ samples: 10_000, maxNewTokens: 512 })
    expect(parseRequest('suites.topic', {})).toMatchObject({ samples: 2, maxNewTokens: 30, seed: 0 })
  })

  it('rejects a body that is not JSON with 400 and a typed error', async () => {
    const res = await call('tokens.encode', '{not json')
    expect(res.status).toBe(400)
    expect(await res.json()).toMatchObject({ ok: false, error: { code: 'bad-request' } })
  })

  it('serves the renderer with a CSP and nothing outside its folder', async () => {
    const index = await fetch(`${base()}/?token=${server.token}`)
    expect(index.status).toBe(200)
    expect(index.headers.get('content-security-policy')).toContain("default-src 'self'")
    expect(await index.text()).toContain('<title>t</title>')
    expect((await fetch(`${base()}/app.js`)).headers.get('content-type')).toContain('text/javascript')
    for (const p of ['/../bw-secret.txt', '/%2e%2e/bw-secret.txt', '/..%2fbw-secret.txt', '/missing.js']) {
      expect((await fetch(base() + p)).status, p).toBe(404)
    }
  })

  it('streams events to an authorised client', async () => {
    const ctrl = new AbortController()
    const res = await fetch(`${base()}/api/events`, { headers: { Authorization: `Bearer ${server.token}` }, signal: ctrl.signal })
    expect(res.status).toBe(200)
    const reader = res.body!.getReader()
    await reader.read() // the ": connected" comment
    workbench.events.emit('run.progressed', { runId: 'r1', method: 'senses.reverse', done: 3, total: 10 })
    let text = ''
    while (!text.includes('\n\n')) text += new TextDecoder().decode((await reader.read()).value)
    expect(JSON.parse(text.replace(/^data: /, '').trim())).toEqual({
      name: 'run.progressed',
      payload: { runId: 'r1', method: 'senses.reverse', done: 3, total: 10 },
    })
    ctrl.abort()
  })
})
