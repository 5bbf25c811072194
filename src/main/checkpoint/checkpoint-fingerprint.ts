import { createHash } from 'node:crypto'
import { readdir, realpath, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { WorkbenchError } from '../../shared/errors'

/** Files that make up a checkpoint directory (weights, shards, indexes, config). */
const CHECKPOINT_FILE = /\.(json|bin|safetensors)$/

/**
 * A cheap fingerprint of a checkpoint directory: its real path and the name, size and
 * modification time of each checkpoint file. It changes whenever a file is replaced or touched,
 * so a conversion-cache index keyed by it can skip reading and hashing on a second load; it is
 * not a content hash (use LoadedCheckpoint.contentHash for that).
 */
export async function checkpointFingerprint(dir: string): Promise<string> {
  let real: string
  let names: string[]
  try {
    real = await realpath(dir)
    names = (await readdir(real)).filter((n) => CHECKPOINT_FILE.test(n)).sort()
  } catch (e) {
    throw new WorkbenchError('not-found', `checkpoint directory ${dir} cannot be listed: ${e instanceof Error ? e.message : String(e)}`, {
      cause: e,
    })
  }
  const h = createHash('sha256')
  h.update(`backpack-fingerprint-v1\0${real}\0`)
  for (const name of names) {
    // a name that cannot be stat'ed (symlink loop, dangling link) is recorded as such; reading
    // the checkpoint then says what is wrong with it
    const s = await stat(join(real, name)).catch((e: NodeJS.ErrnoException) => e.code ?? 'unreadable')
    if (typeof s === 'string') h.update(`${name}\0!${s}\0`)
    else if (s.isFile()) h.update(`${name}\0${s.size}\0${s.mtimeMs}\0`)
  }
  return h.digest('hex')
}
