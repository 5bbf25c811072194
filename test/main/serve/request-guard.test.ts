import type { IncomingMessage } from 'node:http'
import { networkInterfaces } from 'node:os'
import { describe, expect, it } from 'vitest'
import { RequestGuard } from '../../../src/main/serve/request-guard'

const req = (headers: Record<string, string>) => ({ headers }) as unknown as IncomingMessage

describe('RequestGuard', () => {
  it('on loopback accepts the loopback names with the port, and nothing else', () => {
    const g = new RequestGuard('127.0.0.1', 8765)
    for (const host of ['127.0.0.1:8765', 'localhost:8765', '[::1]:8765']) expect(g.refusal(req({ host })), host).toBeNull()
    for (const host of ['127.0.0.1', 'localhost:80', 'example.com:8765', '10.0.0.1:8765'])
      expect(g.refusal(req({ host })), host).not.toBeNull()
    expect(g.refusal(req({}))).not.toBeNull()
  })

  it('bound to an IPv6 loopback, the Host carries brackets', () => {
    const g = new RequestGuard('::1', 9000)
    expect(g.refusal(req({ host: '[::1]:9000' }))).toBeNull()
    expect(g.refusal(req({ host: '[::1]:9000', origin: 'http://[::1]:9000' }))).toBeNull()
    expect(g.refusal(req({ host: '::1:9000' }))).not.toBeNull()
  })

  it("bound to all interfaces, accepts this machine's addresses but never a DNS name", () => {
    const g = new RequestGuard('0.0.0.0', 8000)
    const v4 = Object.values(networkInterfaces())
      .flatMap((l) => l ?? [])
      .filter((a) => a.family === 'IPv4')
    for (const a of v4) expect(g.refusal(req({ host: `${a.address}:8000` })), a.address).toBeNull()
    expect(g.refusal(req({ host: 'gpu-box.example:8000' }))).not.toBeNull()
  })

  it('bound to one address, accepts only that address', () => {
    const g = new RequestGuard('192.0.2.7', 8000)
    expect(g.refusal(req({ host: '192.0.2.7:8000' }))).toBeNull()
    expect(g.refusal(req({ host: 'localhost:8000' }))).not.toBeNull()
  })

  it('refuses an Origin other than http:// + the Host, and lets a request without Origin pass', () => {
    const g = new RequestGuard('127.0.0.1', 8765)
    expect(g.refusal(req({ host: 'localhost:8765', origin: 'http://localhost:8765' }))).toBeNull()
    expect(g.refusal(req({ host: 'localhost:8765' }))).toBeNull()
    for (const origin of ['http://127.0.0.1:8765', 'null', 'https://localhost:8765', 'http://localhost:8765.evil.example']) {
      expect(g.refusal(req({ host: 'localhost:8765', origin })), origin).not.toBeNull()
    }
  })
})
