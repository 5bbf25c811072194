import { readFile, rename, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { userDataDir } from '../paths/app-paths'
import { createFolder } from '../paths/create-folder'

/** The checkpoints opened most recently (newest first), kept in the user data directory. */
const file = () => join(userDataDir(), 'recent-checkpoints.json')
const MAX = 10

export async function readRecentCheckpoints(): Promise<string[]> {
  try {
    const list: unknown = JSON.parse(await readFile(file(), 'utf8'))
    return Array.isArray(list) ? list.filter((x): x is string => typeof x === 'string').slice(0, MAX) : []
  } catch {
    return []
  }
}

/**
 * Puts `dir` first in the list. The folder is created one level at a time (createFolder):
 * Node 20's recursive mkdir never returns when the kernel answers ENOENT for a parent (e.g. a
 * data directory under /proc); this throws that error instead.
 */
export async function rememberCheckpoint(dir: string): Promise<void> {
  const list = [dir, ...(await readRecentCheckpoints()).filter((d) => d !== dir)].slice(0, MAX)
  createFolder(dirname(file()))
  await writeFile(file() + '.tmp', JSON.stringify(list, null, 2))
  await rename(file() + '.tmp', file())
}
