import { open, readFile, rm, stat } from 'node:fs/promises'
import { hostname } from 'node:os'
import { dirname } from 'node:path'
import { WorkbenchError } from '../../shared/errors'
import { createFolder } from '../paths/create-folder'

/**
 * One writer per blob across processes (the app and a CLI may download the same checkpoint):
 * an exclusively created lock file holding `pid@host`, at `.locks/models--owner--name/<etag>.lock`
 * (the path huggingface_hub locks with flock). A lock left by a process that no longer exists on
 * this host is taken over, and so is one still without an owner after 10 s.
 */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** How long a lock file may stay without its `pid@host` before it is taken to be left over. */
const UNWRITTEN_LOCK_MS = 10_000

async function olderThan(path: string, ms: number): Promise<boolean> {
  try {
    return Date.now() - (await stat(path)).mtimeMs > ms
  } catch {
    return true // gone already
  }
}

export async function blobLock(path: string, what: string): Promise<() => Promise<void>> {
  createFolder(dirname(path))
  const me = `${process.pid}@${hostname()}`
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fh = await open(path, 'wx')
      await fh.writeFile(me)
      await fh.close()
      return () => rm(path, { force: true })
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e
    }
    const owner = (await readFile(path, 'utf8').catch(() => '')).trim()
    const m = /^(\d+)@(.+)$/.exec(owner)
    // No owner yet: another process may have just created the file and not written it (the
    // window between open('wx') and writeFile). Only an old unreadable lock counts as stale.
    const stale = m ? m[2] === hostname() && !alive(Number(m[1])) : await olderThan(path, UNWRITTEN_LOCK_MS)
    if (!stale) {
      throw new WorkbenchError('hub', `${what} is being downloaded by another process (${owner}, lock ${path}); wait for it to finish, or delete the lock if that process is gone`)
    }
    await rm(path, { force: true })
  }
  throw new WorkbenchError('hub', `cannot take the download lock ${path} for ${what}`)
}
