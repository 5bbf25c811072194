import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { randomBytes, timingSafeEqual } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import { WorkbenchError, type ErrorInfo, type Result } from '../../shared/errors'
import type { ApiEvent } from '../../shared/ipc/api'
import { stringifyJson } from '../../shared/ipc/typed-array-json'
import type { Dispatch } from '../workbench/create-dispatcher'
import { RequestGuard } from './request-guard'
import { staticFile } from './static-files'

/**
 * serve mode's transport: the built renderer as static files and the API over HTTP.
 *   POST /api/<method>   body = the request JSON, answer = the Result JSON (always HTTP 200
 *                        once authorised, so the client reads one shape; Float32Array values
 *                        as `{"$float32": base64}`, src/shared/ipc/typed-array-json.ts)
 *   GET  /api/events     a text/event-stream of ApiEvents (`data: {"name","payload"}`)
 * Every /api request must carry the session token (`Authorization: Bearer <token>`, or
 * `?token=` for the event stream); without it or with a wrong one the answer is 401. Every
 * request must name this server in `Host` and, from a browser, come from its own `Origin`
 * (request-guard.ts), else 403. A body over MAX_BODY gets 413 with a JSON error, sent once the
 * rest of the body is read and dropped (up to DRAIN_LIMIT) so the client sees the answer, not a
 * reset connection; a body declared or sent past DRAIN_LIMIT gets the 413 and the connection cut.
 */
export interface ServeOptions {
  dispatch: Dispatch
  subscribe: (listener: (event: ApiEvent) => void) => () => void
  webRoot: string
  host?: string
  port?: number
  token?: string
}

export interface RunningServer {
  url: string // http://host:port/?token=…
  host: string
  port: number
  token: string
  close(): Promise<void>
}

const MAX_BODY = 16 * 1024 * 1024
const DRAIN_LIMIT = 64 * 1024 * 1024
export const SERVE_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; " +
  "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

export async function serveWorkbench(options: ServeOptions): Promise<RunningServer> {
  const host = options.host ?? '127.0.0.1'
  const token = options.token ?? randomBytes(24).toString('base64url')
  const streams = new Set<ServerResponse>()
  const unsubscribe = options.subscribe((event) => {
    const line = `data: ${JSON.stringify(event)}\n\n`
    for (const res of streams) res.write(line)
  })

  let guard: RequestGuard | null = null // set once listening (it needs the port)
  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e) => {
      if (!res.headersSent) sendJson(res, 500, failure({ code: 'internal', message: String((e as Error)?.message ?? e) }))
      else res.destroy()
    })
  })

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost')
    res.setHeader('X-Content-Type-Options', 'nosniff')
    res.setHeader('Referrer-Policy', 'no-referrer')
    const refused = guard ? guard.refusal(req) : 'the server is not listening yet'
    if (refused) {
      sendJson(res, 403, failure({ code: 'unauthorized', message: refused }))
      return
    }
    if (url.pathname.startsWith('/api/')) {
      if (!authorised(req, url, token)) {
        sendJson(res, 401, failure({ code: 'unauthorized', message: 'missing or wrong session token: open the URL that `serve` printed' }))
        return
      }
      if (url.pathname === '/api/events' && req.method === 'GET') return openStream(res)
      if (req.method !== 'POST') {
        sendJson(res, 405, failure({ code: 'bad-request', message: `${req.method} ${url.pathname}: API calls are POST /api/<method>` }))
        return
      }
      const method = url.pathname.slice('/api/'.length)
      const declared = Number(req.headers['content-length'] ?? 0)
      if (declared > DRAIN_LIMIT) return tooLarge(req, res, `request body of ${declared} bytes is larger than ${MAX_BODY} bytes`, true)
      const bytes = await readBody(req)
      if (bytes === 'too-large') return tooLarge(req, res, `request body is larger than ${MAX_BODY} bytes`, !req.complete)
      let body: unknown
      try {
        body = parseJson(bytes)
      } catch (e) {
        sendJson(res, 400, failure({ code: 'bad-request', message: (e as Error).message }))
        return
      }
      sendJson(res, 200, await options.dispatch(method, body))
      return
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      sendJson(res, 405, failure({ code: 'bad-request', message: `${req.method} is not allowed for ${url.pathname}` }))
      return
    }
    const file = await staticFile(options.webRoot, url.pathname)
    if (!file) {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end(`not found: ${url.pathname}\n`)
      return
    }
    res.writeHead(200, {
      'Content-Type': file.type,
      'Content-Security-Policy': SERVE_CSP,
      'Cache-Control': file.type.startsWith('text/html') ? 'no-store' : 'max-age=3600',
    })
    res.end(req.method === 'HEAD' ? undefined : file.body)
  }

  function openStream(res: ServerResponse): void {
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', Connection: 'keep-alive' })
    res.write(': connected\n\n')
    streams.add(res)
    res.on('close', () => streams.delete(res))
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const port = (server.address() as AddressInfo).port
  guard = new RequestGuard(host, port)
  const shownHost = host.includes(':') ? `[${host}]` : host
  return {
    url: `http://${shownHost}:${port}/?token=${token}`,
    host,
    port,
    token,
    close: async () => {
      unsubscribe()
      for (const res of streams) res.end()
      streams.clear()
      // in-flight requests and keep-alive connections are dropped: close() alone waits for them
      const closed = new Promise<void>((resolve) => server.close(() => resolve()))
      server.closeAllConnections()
      await closed
    },
  }
}

function authorised(req: IncomingMessage, url: URL, token: string): boolean {
  const header = req.headers.authorization
  const given = header?.startsWith('Bearer ') ? header.slice(7) : url.pathname === '/api/events' ? url.searchParams.get('token') : null
  if (!given) return false
  const a = Buffer.from(given)
  const b = Buffer.from(token)
  return a.length === b.length && timingSafeEqual(a, b)
}

/**
 * The request body, or 'too-large' past MAX_BODY. Past it the rest is still read and dropped
 * (up to DRAIN_LIMIT) before the answer goes out: a server that answers and closes while the
 * client is still sending makes the client see a reset (EPIPE) instead of the 413.
 */
function readBody(req: IncomingMessage): Promise<Buffer | 'too-large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size <= MAX_BODY) chunks.push(chunk)
      else if (size > DRAIN_LIMIT)
        resolve('too-large') // the caller answers and cuts the connection
      else chunks.length = 0
    })
    req.on('end', () => resolve(size > MAX_BODY ? 'too-large' : Buffer.concat(chunks)))
    req.on('error', reject)
  })
}

function parseJson(bytes: Buffer): unknown {
  const text = bytes.toString('utf8')
  if (text.trim() === '') return {}
  try {
    return JSON.parse(text)
  } catch (e) {
    throw new WorkbenchError('bad-request', `request body is not JSON: ${(e as Error).message}`)
  }
}

/** 413 with a JSON error; `cut`: the body is not (fully) read, so the connection closes after it. */
function tooLarge(req: IncomingMessage, res: ServerResponse, message: string, cut: boolean): void {
  if (cut) {
    res.setHeader('Connection', 'close')
    res.once('finish', () => req.destroy())
  }
  sendJson(res, 413, failure({ code: 'bad-request', message }))
}

function failure(error: ErrorInfo): Result<never> {
  return { ok: false, error }
}

/** A JSON answer; Float32Array values (predict.forward's tensors) go as tagged base64 (typed-array-json.ts). */
function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = stringifyJson(body)
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' })
  res.end(text)
}
