import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { userDataDir } from '../paths/app-paths'

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

export async function rememberCheckpoint(dir: string): Promise<void> {
  const list = [dir, ...(await readRecentCheckpoints()).filter((d) => d !== dir)].slice(0, MAX)
  await mkdir(dirname(file()), { recursive: true })
  await writeFile(file() + '.tmp', JSON.stringify(list, null, 2))
  await rename(file() + '.tmp', file())
}
