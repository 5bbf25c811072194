import { request } from 'node:http'

/**
 * One HTTP request with full control of the headers (fetch will not set Host, and sets others
 * itself), for the serve tests. Resolves with the status and the body (parsed as JSON when it
 * is JSON); a connection error resolves as status 0 with `error` set, so callers can count it.
 */
export interface RawAnswer {
  status: number
  body: unknown
  text: string
  error?: string
}

export function rawRequest(
  port: number,
  options: { method?: string; path: string; headers?: Record<string, string>; body?: string | Buffer; timeoutMs?: number },
): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: options.method ?? 'GET',
        path: options.path,
        headers: { Host: `127.0.0.1:${port}`, ...options.headers },
        setHost: false,
      },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8')
          let body: unknown = text
          try {
            body = JSON.parse(text)
          } catch {
            // not JSON: keep the text
          }
          resolve({ status: res.statusCode ?? 0, body, text })
        })
        res.on('error', (e) => resolve({ status: 0, body: null, text: '', error: e.message }))
      },
    )
    req.setTimeout(options.timeoutMs ?? 30_000, () => req.destroy(new Error('timeout')))
    req.on('error', (e) => resolve({ status: 0, body: null, text: '', error: (e as NodeJS.ErrnoException).code ?? e.message }))
    req.end(options.body)
  })
}

/** The error code of a Result body, or 'ok' for a success. */
export function resultCode(answer: RawAnswer): string | undefined {
  const body = answer.body as { ok?: boolean; error?: { code?: string } } | null
  if (!body || typeof body !== 'object') return undefined
  return body.ok ? 'ok' : body.error?.code
}
