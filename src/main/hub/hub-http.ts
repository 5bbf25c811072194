import { Agent, EnvHttpProxyAgent, fetch as undiciFetch, request, type Dispatcher } from 'undici'
import { WorkbenchError } from '../../shared/errors'
import type { HubSettings } from './hub-settings'

/**
 * HTTP for the Hub: one proxy-aware dispatcher (HTTPS_PROXY/HTTP_PROXY/NO_PROXY via undici's
 * EnvHttpProxyAgent), the bearer token sent only to the Hub's own origin (never to the CDN a
 * file redirects to), redirects followed by hand so each hop can be checked.
 */
export interface HubResponse {
  status: number
  url: string
  headers: Record<string, string>
  body: Dispatcher.ResponseData['body']
}

export interface HubRequestOptions {
  method?: 'GET' | 'HEAD'
  headers?: Record<string, string>
  signal?: AbortSignal
  /** Follow only relative redirects (renamed repos) and return absolute ones (the CDN), as huggingface_hub does for HEAD. */
  relativeRedirectsOnly?: boolean
}

export interface HubHttp {
  request(url: string, options?: HubRequestOptions): Promise<HubResponse>
  /** A fetch for @huggingface/hub calls, going through the same dispatcher and token rule. */
  fetch: typeof fetch
  close(): Promise<void>
}

const MAX_REDIRECTS = 10

function flatHeaders(raw: Dispatcher.ResponseData['headers']): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(raw)) {
    if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v
  }
  return out
}

export function isAbort(e: unknown, signal?: AbortSignal): boolean {
  return signal?.aborted === true || (e instanceof Error && e.name === 'AbortError')
}

/** `signal` cancels every request made through this client (including @huggingface/hub's). */
export function hubHttp(settings: HubSettings, signal?: AbortSignal): HubHttp {
  const { httpProxy, httpsProxy } = settings.proxy
  // EnvHttpProxyAgent (experimental in undici 6, warns once) only when a proxy is configured.
  const dispatcher: Dispatcher = httpProxy || httpsProxy ? new EnvHttpProxyAgent(settings.proxy) : new Agent()
  const hubOrigin = new URL(settings.endpoint).origin
  const authFor = (url: string): Record<string, string> =>
    settings.token && new URL(url).origin === hubOrigin ? { authorization: `Bearer ${settings.token}` } : {}

  async function hubRequest(url: string, given: HubRequestOptions = {}): Promise<HubResponse> {
    const options = { ...given, signal: given.signal ?? signal }
    let current = url
    for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
      let res: Dispatcher.ResponseData
      try {
        res = await request(current, {
          method: options.method ?? 'GET',
          headers: { 'user-agent': 'backpack-workbench', 'accept-encoding': 'identity', ...options.headers, ...authFor(current) },
          signal: options.signal,
          dispatcher,
        })
      } catch (e) {
        if (isAbort(e, options.signal)) throw new WorkbenchError('cancelled', `request to ${current} was cancelled`, { cause: e })
        throw new WorkbenchError(
          'hub',
          `cannot reach ${current}: ${(e as Error).message} (check the network, HF_ENDPOINT and HTTPS_PROXY/NO_PROXY)`,
          { cause: e },
        )
      }
      const headers = flatHeaders(res.headers)
      const location = headers.location
      if (res.statusCode >= 300 && res.statusCode < 400 && location) {
        const next = new URL(location, current).toString()
        const absolute = /^[a-z][a-z0-9+.-]*:|^\/\//i.test(location)
        if (options.relativeRedirectsOnly && absolute) {
          return { status: res.statusCode, url: current, headers: { ...headers, location: next }, body: res.body }
        }
        await res.body.dump()
        current = next
        continue
      }
      return { status: res.statusCode, url: current, headers, body: res.body }
    }
    throw new WorkbenchError('hub', `more than ${MAX_REDIRECTS} redirects starting at ${url}`)
  }

  const hubFetch = ((input: string | URL, init?: RequestInit) => {
    const url = input.toString()
    const headers = { ...(init?.headers as Record<string, string> | undefined), ...authFor(url) }
    return undiciFetch(url, { ...(init as object), headers, signal: init?.signal ?? signal, dispatcher } as Parameters<
      typeof undiciFetch
    >[1])
  }) as unknown as typeof fetch

  return { request: hubRequest, fetch: hubFetch, close: () => dispatcher.close() }
}
