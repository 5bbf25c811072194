import { Redis, type RedisOptions } from 'ioredis'
import { WorkbenchError } from '../../shared/errors'

/**
 * The sweep queue's Redis: connection options from a `redis://[:password@]host:port[/db]` URL,
 * a bounded reachability check, and Redis errors turned into typed ones (`queue` when it cannot
 * be reached or was lost, `unauthorized` when it refuses the credentials).
 */
export const DEFAULT_QUEUE = 'backpack-sweeps'

export function redisOptions(url: string): RedisOptions {
  let u: URL
  try {
    u = new URL(url)
  } catch {
    throw new WorkbenchError('bad-request', `--redis must be a URL such as redis://127.0.0.1:6379, got ${JSON.stringify(url)}`)
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:')
    throw new WorkbenchError('bad-request', `--redis must use redis:// or rediss://, got ${JSON.stringify(u.protocol)}`)
  const db = u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0
  if (!Number.isInteger(db) || db < 0)
    throw new WorkbenchError('bad-request', `--redis database must be a non-negative integer, got ${JSON.stringify(u.pathname.slice(1))}`)
  return {
    host: u.hostname || '127.0.0.1',
    port: u.port ? Number(u.port) : 6379,
    db,
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
  }
}

/** The URL without its password, for messages and logs. */
export function redactedUrl(url: string): string {
  try {
    const u = new URL(url)
    if (u.password) u.password = '***'
    return u.toString()
  } catch {
    return '(invalid URL)'
  }
}

/** A Redis error as a typed one. */
export function redisError(e: unknown, url: string, what: string): WorkbenchError {
  if (e instanceof WorkbenchError) return e
  const msg = e instanceof Error ? e.message : String(e)
  if (/WRONGPASS|NOAUTH|invalid password|invalid username-password/i.test(msg)) {
    return new WorkbenchError('unauthorized', `Redis at ${redactedUrl(url)} refused the credentials while ${what}: ${msg}`, { cause: e })
  }
  return new WorkbenchError('queue', `Redis at ${redactedUrl(url)} is not reachable while ${what}: ${msg}`, { cause: e })
}

/**
 * Connects once, authenticates and pings within `timeoutMs`; no reconnecting. Throws `queue` or
 * `unauthorized`. Commands that talk to Redis call this first so a wrong URL fails fast instead
 * of waiting on BullMQ's reconnect loop.
 */
export async function checkRedis(url: string, timeoutMs = 5000): Promise<void> {
  const client = new Redis({
    ...redisOptions(url),
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  })
  let lastError: unknown = null // an AUTH refusal arrives here; connect() then only says the connection closed
  client.on('error', (e) => (lastError = e))
  let timer: NodeJS.Timeout | undefined
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs)
    })
    await Promise.race([
      (async () => {
        await client.connect()
        await client.ping()
      })(),
      timeout,
    ])
  } catch (e) {
    const auth =
      lastError !== null && /WRONGPASS|NOAUTH|invalid password|invalid username-password/i.test(String((lastError as Error).message))
    throw redisError(auth ? lastError : e, url, 'connecting')
  } finally {
    clearTimeout(timer)
    client.disconnect()
  }
}

/**
 * Options for the long-lived connections of a command that must not hang when Redis goes away:
 * reconnect for about `giveUpMs`, then fail its commands.
 */
export function boundedRedisOptions(url: string, giveUpMs = 30_000): RedisOptions {
  const started = { at: 0 }
  return {
    ...redisOptions(url),
    maxRetriesPerRequest: 3,
    connectTimeout: 5000,
    retryStrategy: (times) => {
      if (times === 1) started.at = Date.now()
      return Date.now() - started.at > giveUpMs ? null : Math.min(times * 200, 1000)
    },
  }
}
