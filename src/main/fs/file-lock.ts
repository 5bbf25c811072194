import { randomBytes } from 'node:crypto'
import { link, open, readFile, rename, rm, stat, utimes } from 'node:fs/promises'
import { hostname } from 'node:os'
import { resolve } from 'node:path'
import { WorkbenchError } from '../../shared/errors'

/**
 * The one cross-process lock of the workbench: a lock file created with exclusive create, holding
 * `{pid, hostname, startedAt, token}` — `build.lock` in a cache folder (the sense table and its
 * int8 index) or a download's blob lock in the Hub cache. A lock file in the older `pid@host` form
 * is understood too.
 * The holder touches it every HEARTBEAT_MS; it is stale — and taken over — when its process is
 * gone on this host (kill(pid, 0) → ESRCH), when it has not been touched for STALE_MS (a crash
 * on another host, or a recycled pid), or when it is unreadable for longer than a creator needs
 * to write it. Waiting polls with backoff and ends with 'cancelled' when the signal aborts.
 */
export interface LockHolder {
  pid: number
  hostname: string
  startedAt: string
}

export interface FolderLock {
  readonly path: string
  release(): Promise<void>
}

export const LOCK_FILE = 'build.lock'
const HEARTBEAT_MS = 10_000
const STALE_MS = 120_000
const CORRUPT_GRACE_MS = 5_000
const MAX_POLL_MS = 1_000

/** Tokens of the locks this process holds, by lock path. */
const held = new Map<string, string>()

/** Takes the folder's lock if nobody holds it (a stale lock is taken over), else undefined. */
export function tryFolderLock(dir: string): Promise<FolderLock | undefined> {
  return tryFileLock(resolve(dir, LOCK_FILE))
}

/** Takes the lock file `path` if nobody holds it (a stale lock is taken over), else undefined. */
export async function tryFileLock(path: string): Promise<FolderLock | undefined> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const lock = await create(path)
    if (lock) return lock
    const seen = await inspect(path)
    if (seen.state === 'held') return undefined
    if (seen.state === 'stale') await takeOver(path, seen.text)
  }
  return undefined
}

/**
 * Takes the folder's lock, waiting while another live process holds it: `onWait` is called on
 * every poll (about once a second at most) with the holder as the lock file names it.
 */
export function acquireFolderLock(dir: string, options: AcquireOptions = {}): Promise<FolderLock> {
  return acquireFileLock(resolve(dir, LOCK_FILE), options)
}

export interface AcquireOptions {
  signal?: AbortSignal
  onWait?: (holder: LockHolder | undefined) => void | Promise<void>
  what?: string
}

/** Takes the lock file `path`, waiting while another live process holds it (as acquireFolderLock). */
export async function acquireFileLock(path: string, options: AcquireOptions = {}): Promise<FolderLock> {
  let delay = 20
  for (;;) {
    if (options.signal?.aborted) throw cancelledWaiting(path, options.what)
    const lock = await create(path)
    if (lock) return lock
    const seen = await inspect(path)
    if (seen.state === 'stale') await takeOver(path, seen.text)
    if (seen.state !== 'held') continue
    await options.onWait?.(seen.holder)
    await sleep(delay, options.signal).catch(() => {
      throw cancelledWaiting(path, options.what, seen.holder)
    })
    delay = Math.min(MAX_POLL_MS, delay * 1.5)
  }
}

function cancelledWaiting(path: string, what = 'folder', holder?: LockHolder): WorkbenchError {
  const by = holder ? ` held by process ${holder.pid} on ${holder.hostname} since ${holder.startedAt}` : ''
  return new WorkbenchError('cancelled', `cancelled while waiting for the ${what} lock ${path}${by}`)
}

async function create(path: string): Promise<FolderLock | undefined> {
  const token = randomBytes(8).toString('hex')
  const text = JSON.stringify({ pid: process.pid, hostname: hostname(), startedAt: new Date().toISOString(), token })
  let f
  try {
    f = await open(path, 'wx')
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return undefined
    throw new WorkbenchError('store-io', `cannot create the lock file ${path}: ${(e as Error).message}`, { cause: e })
  }
  try {
    await f.writeFile(text)
  } finally {
    await f.close()
  }
  held.set(path, token)
  const beat = setInterval(() => {
    const now = new Date()
    void utimes(path, now, now).catch(() => undefined)
  }, HEARTBEAT_MS)
  beat.unref()
  let released = false
  return {
    path,
    release: async () => {
      if (released) return
      released = true
      clearInterval(beat)
      if (held.get(path) === token) held.delete(path)
      // remove it only while it is still ours (it is not, if another process took it over as stale)
      if ((await readText(path)).includes(`"token":"${token}"`)) await rm(path, { force: true })
    },
  }
}

type Seen = { state: 'gone' } | { state: 'stale'; text: string } | { state: 'held'; holder: LockHolder | undefined }

async function inspect(path: string): Promise<Seen> {
  let text: string
  let mtime: number
  try {
    mtime = (await stat(path)).mtimeMs
    text = await readFile(path, 'utf8')
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { state: 'gone' }
    throw new WorkbenchError('store-io', `cannot read the lock file ${path}: ${(e as Error).message}`, { cause: e })
  }
  const age = Date.now() - mtime
  let h: (LockHolder & { token?: unknown }) | undefined
  const legacy = /^(\d+)@(.+)$/.exec(text.trim()) // the older `pid@host` form
  try {
    h = legacy ? { pid: Number(legacy[1]), hostname: legacy[2], startedAt: '' } : (JSON.parse(text) as LockHolder & { token?: unknown })
  } catch {
    h = undefined
  }
  if (!h || typeof h.pid !== 'number' || typeof h.hostname !== 'string' || typeof h.startedAt !== 'string') {
    // a creator writes right after creating: give it a moment before calling the file corrupt
    return age > CORRUPT_GRACE_MS ? { state: 'stale', text } : { state: 'held', holder: undefined }
  }
  const holder = { pid: h.pid, hostname: h.hostname, startedAt: h.startedAt }
  if (age > STALE_MS) return { state: 'stale', text }
  if (h.hostname !== hostname()) return { state: 'held', holder }
  if (h.pid === process.pid) return held.get(path) === h.token ? { state: 'held', holder } : { state: 'stale', text } // ours, or left by an earlier process with our pid
  try {
    process.kill(h.pid, 0)
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') return { state: 'stale', text }
  }
  return { state: 'held', holder } // alive (EPERM: alive, another user's)
}

/**
 * Removes the stale lock whose contents were `text`: renamed to a unique name first, so that of
 * several processes taking it over only one succeeds; if what it moved is not the stale file (a
 * new holder created one in between), it is put back.
 */
async function takeOver(path: string, text: string): Promise<void> {
  const aside = `${path}.stale-${process.pid}-${randomBytes(4).toString('hex')}`
  try {
    await rename(path, aside)
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return
    throw new WorkbenchError('store-io', `cannot remove the stale lock file ${path}: ${(e as Error).message}`, { cause: e })
  }
  if ((await readText(aside)) !== text) await link(aside, path).catch(() => undefined)
  await rm(aside, { force: true })
}

async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8')
  } catch {
    return ''
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((res, rej) => {
    if (signal?.aborted) return rej(new Error('aborted'))
    const onAbort = () => {
      clearTimeout(t)
      rej(new Error('aborted'))
    }
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      res()
    }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}
