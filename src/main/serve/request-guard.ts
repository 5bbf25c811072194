import type { IncomingMessage } from 'node:http'
import { networkInterfaces } from 'node:os'

/**
 * Which `Host` and `Origin` headers serve answers. A page on another site can make a browser
 * send requests to 127.0.0.1 (cross-site requests), and a DNS name the attacker controls can be
 * re-pointed at 127.0.0.1 (DNS rebinding, after which the browser treats our server as the
 * attacker's origin). The session token already stops both; these checks stop them without it:
 *  - `Host` must name the bound address, or `localhost` / the loopback addresses when bound to
 *    loopback, or one of this machine's interface addresses when bound to all interfaces — always
 *    with the port. A DNS name is never accepted (that is what rebinding needs).
 *  - `Origin`, when a browser sends one, must be this server's own origin (`http://` + the
 *    accepted Host). Clients that are not browsers send none and are let through (they still need
 *    the token for /api).
 */
export class RequestGuard {
  readonly #hosts: Set<string>

  constructor(boundHost: string, port: number) {
    this.#hosts = new Set(acceptedHostNames(boundHost).map((h) => `${h.includes(':') ? `[${h}]` : h}:${port}`.toLowerCase()))
  }

  /** The reason a request is refused, or null when its Host and Origin are acceptable. */
  refusal(req: IncomingMessage): string | null {
    const host = req.headers.host?.toLowerCase()
    if (!host || !this.#hosts.has(host))
      return `Host ${JSON.stringify(req.headers.host ?? '')} is not this server (expected one of ${[...this.#hosts].join(', ')})`
    const origin = req.headers.origin
    if (origin !== undefined && origin.toLowerCase() !== `http://${host}`)
      return `Origin ${JSON.stringify(origin)} is not this server's origin http://${host}`
    return null
  }
}

const LOOPBACK = ['localhost', '127.0.0.1', '::1']
const WILDCARD = ['0.0.0.0', '::', '']

function acceptedHostNames(boundHost: string): string[] {
  const bound = boundHost.replace(/^\[|\]$/g, '').toLowerCase()
  if (LOOPBACK.includes(bound) || bound.startsWith('127.')) return [...new Set([bound, ...LOOPBACK])]
  if (WILDCARD.includes(bound)) {
    const addresses = Object.values(networkInterfaces()).flatMap((list) =>
      (list ?? []).map((a) => a.address.replace(/%.*$/, '').toLowerCase()),
    )
    return [...new Set([...LOOPBACK, ...addresses])]
  }
  return [bound]
}
