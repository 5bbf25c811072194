import { existsSync, readFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'
import { WorkbenchError } from '../../shared/errors'

/**
 * Where and how to talk to the Hugging Face Hub, resolved the way Python's `huggingface_hub`
 * resolves it, so both tools share one cache and one set of environment variables.
 */
export interface HubSettings {
  /** Hub base URL without a trailing slash (`HF_ENDPOINT`, default https://huggingface.co). */
  endpoint: string
  /** Bearer token (`HF_TOKEN`, else the token file `huggingface-cli login` writes). */
  token: string | undefined
  /** `HF_HUB_OFFLINE`: never touch the network, use the cache only. */
  offline: boolean
  /** The hub cache root that holds `models--owner--name/` folders. */
  cacheDir: string
  /** Proxy settings handed to undici's EnvHttpProxyAgent (empty string = none). */
  proxy: { httpProxy: string; httpsProxy: string; noProxy: string }
}

export interface HubSettingsOverrides {
  endpoint?: string
  token?: string
  offline?: boolean
  cacheDir?: string
}

const DEFAULT_ENDPOINT = 'https://huggingface.co'

/** Python's `_is_true`: 1/ON/YES/TRUE, any case. */
function isTrue(value: string | undefined): boolean {
  return value !== undefined && ['1', 'on', 'yes', 'true'].includes(value.trim().toLowerCase())
}

/** HF_HUB_CACHE > HUGGINGFACE_HUB_CACHE > HF_HOME/hub > XDG_CACHE_HOME/huggingface/hub > ~/.cache/huggingface/hub */
export function hubCacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  const explicit = env.HF_HUB_CACHE || env.HUGGINGFACE_HUB_CACHE
  if (explicit) return resolve(explicit)
  return resolve(hfHome(env), 'hub')
}

function hfHome(env: NodeJS.ProcessEnv): string {
  return env.HF_HOME || join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'huggingface')
}

function tokenFromEnv(env: NodeJS.ProcessEnv): string | undefined {
  const direct = env.HF_TOKEN || env.HUGGING_FACE_HUB_TOKEN
  if (direct) return direct.trim()
  const file = env.HF_TOKEN_PATH || join(hfHome(env), 'token')
  if (!existsSync(file)) return undefined
  const text = readFileSync(file, 'utf8').trim()
  return text.length > 0 ? text : undefined
}

function validEndpoint(value: string, source: string): string {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new WorkbenchError('bad-request', `${source} must be an http(s) URL such as ${DEFAULT_ENDPOINT}, got ${JSON.stringify(value)}`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new WorkbenchError('bad-request', `${source} must use http or https, got ${JSON.stringify(value)}`)
  }
  return value.replace(/\/+$/, '')
}

/** Resolves settings from explicit overrides first, then the environment, then the defaults. */
export function hubSettings(overrides: HubSettingsOverrides = {}, env: NodeJS.ProcessEnv = process.env): HubSettings {
  const endpoint = overrides.endpoint
    ? validEndpoint(overrides.endpoint, '--endpoint')
    : validEndpoint(env.HF_ENDPOINT || DEFAULT_ENDPOINT, 'HF_ENDPOINT')
  return {
    endpoint,
    token: overrides.token ?? tokenFromEnv(env),
    offline: overrides.offline ?? isTrue(env.HF_HUB_OFFLINE),
    cacheDir: overrides.cacheDir ? resolve(overrides.cacheDir) : hubCacheRoot(env),
    proxy: {
      httpProxy: env.HTTP_PROXY || env.http_proxy || '',
      httpsProxy: env.HTTPS_PROXY || env.https_proxy || '',
      noProxy: env.NO_PROXY || env.no_proxy || '',
    },
  }
}
