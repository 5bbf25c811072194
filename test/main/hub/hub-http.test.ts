import { createServer, request as httpRequest, type Server } from 'node:http'
import { connect, type AddressInfo } from 'node:net'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { downloadCheckpoint } from '../../../src/main/hub/download-checkpoint'
import { hubHttp } from '../../../src/main/hub/hub-http'
import { hubSettings } from '../../../src/main/hub/hub-settings'
import type { WorkbenchError } from '../../../src/shared/errors'
import { tinyConfig, tinySafetensors } from './checkpoint-bytes'
import { startFakeHub, type FakeHub } from './fake-hub-server'

/** A forwarding proxy on 127.0.0.1 that counts what passes through it (CONNECT tunnels and plain requests). */
async function startProxy() {
  const seen: string[] = []
  const server: Server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`)
    const target = new URL(req.url ?? '')
    const upstream = httpRequest(
      { host: target.hostname, port: target.port, path: target.pathname + target.search, method: req.method, headers: req.headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers)
        up.pipe(res)
      },
    )
    req.pipe(upstream)
  })
  server.on('connect', (req, socket, head) => {
    seen.push(`CONNECT ${req.url}`)
    const [host, port] = (req.url ?? '').split(':')
    const upstream = connect(Number(port), host, () => {
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n')
      upstream.write(head)
      upstream.pipe(socket)
      socket.pipe(upstream)
    })
    upstream.on('error', () => socket.destroy())
    socket.on('error', () => upstream.destroy())
  })
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () => new Promise<void>((ok) => (server.closeAllConnections(), server.close(() => ok()))),
  }
}

let hub: FakeHub
let cacheDir: string
beforeEach(async () => {
  hub = await startFakeHub('owner/tiny', 'd'.repeat(40), [
    { path: 'config.json', content: tinyConfig(), lfs: false },
    { path: 'model.safetensors', content: tinySafetensors(8, 16), lfs: true },
  ])
  cacheDir = await mkdtemp(join(tmpdir(), 'hf-proxy-'))
})
afterEach(async () => {
  await hub.close()
  await rm(cacheDir, { recursive: true, force: true })
})

describe('proxies', () => {
  it('goes through HTTP_PROXY when set', async () => {
    const proxy = await startProxy()
    try {
      const result = await downloadCheckpoint({ repo: 'owner/tiny', endpoint: hub.url, cacheDir, env: { HTTP_PROXY: proxy.url } })
      expect(result.files).toHaveLength(2)
      expect(proxy.seen.length).toBeGreaterThan(0)
      expect(proxy.seen.every((s) => s.includes(new URL(hub.url).host))).toBe(true)
    } finally {
      await proxy.close()
    }
  })

  it('bypasses the proxy for hosts in NO_PROXY', async () => {
    const proxy = await startProxy()
    try {
      await downloadCheckpoint({ repo: 'owner/tiny', endpoint: hub.url, cacheDir, env: { HTTP_PROXY: proxy.url, NO_PROXY: '127.0.0.1' } })
      expect(proxy.seen).toEqual([])
      expect(hub.requests.length).toBeGreaterThan(0)
    } finally {
      await proxy.close()
    }
  })
})

describe('unreachable hosts', () => {
  const failure = (p: Promise<unknown>) =>
    p.then(
      () => new Error('expected a rejection'),
      (e: unknown) => e as WorkbenchError,
    )
  /** An http URL on 127.0.0.1 where nothing listens (a port just released). */
  async function closedUrl(): Promise<string> {
    const s = createServer()
    await new Promise<void>((ok) => s.listen(0, '127.0.0.1', ok))
    const { port } = s.address() as AddressInfo
    await new Promise<void>((ok) => s.close(() => ok()))
    return `http://127.0.0.1:${port}`
  }

  it('names the endpoint and the network error, not just "fetch failed"', async () => {
    const endpoint = await closedUrl()
    const err = await failure(downloadCheckpoint({ repo: 'owner/tiny', endpoint, cacheDir, env: {} }))
    expect(err).toMatchObject({ code: 'hub' })
    expect(err.message).toContain(`cannot reach ${endpoint}`)
    expect(err.message).toMatch(/ECONNREFUSED/)
    expect(err.message).toContain('HF_HUB_OFFLINE=1')
    expect(err.message).not.toContain('through the proxy')
  })

  it('says which proxy the requests went through when that proxy is down', async () => {
    const proxy = await closedUrl()
    const err = await failure(downloadCheckpoint({ repo: 'owner/tiny', endpoint: hub.url, cacheDir, env: { HTTP_PROXY: proxy } }))
    expect(err).toMatchObject({ code: 'hub' })
    expect(err.message).toMatch(/ECONNREFUSED/)
    expect(err.message).toContain(`through the proxy ${proxy}`)
    expect(hub.requests).toEqual([])
  })
})

describe('token scope', () => {
  it('sends the bearer token to the Hub origin but not to a CDN on another origin', async () => {
    const cdnAuth: (string | undefined)[] = []
    const cdn = createServer((req, res) => {
      cdnAuth.push(req.headers.authorization ?? 'none')
      res.end('bytes')
    })
    await new Promise<void>((ok) => cdn.listen(0, '127.0.0.1', ok))
    const cdnUrl = `http://127.0.0.1:${(cdn.address() as AddressInfo).port}/blob`
    const hubAuth: (string | undefined)[] = []
    const origin = createServer((req, res) => {
      hubAuth.push(req.headers.authorization)
      res.writeHead(302, { location: cdnUrl }).end()
    })
    await new Promise<void>((ok) => origin.listen(0, '127.0.0.1', ok))
    const endpoint = `http://127.0.0.1:${(origin.address() as AddressInfo).port}`
    const http = hubHttp(hubSettings({ endpoint, token: 'hf_abc' }, {}))
    try {
      const res = await http.request(`${endpoint}/x/resolve/main/f`)
      expect(await res.body.text()).toBe('bytes')
      expect(hubAuth).toEqual(['Bearer hf_abc'])
      expect(cdnAuth).toEqual(['none'])
    } finally {
      await http.close()
      cdn.closeAllConnections()
      origin.closeAllConnections()
      cdn.close()
      origin.close()
    }
  })
})
