import { copyFileSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { WorkbenchError } from '../../shared/errors'
import { Database, type OpenOptions } from './database'
import { companionFiles } from './log-file'

/**
 * Read-only looks at a database that create no file beside it and never write it: SQLite makes
 * `-wal` and `-shm` files even for a read-only connection unless both exist already, and a
 * read-write connection checkpoints its WAL into the file when it closes.
 */

/**
 * Runs `look` on a read-only connection to `file` that sees what its WAL holds:
 * - a WAL with content and its `-shm`: an ordinary read-only connection (both files exist);
 * - a WAL with content but no `-shm`: a private copy of the two files, looked at in a temporary
 *   folder, and the file alone (`immutable`): both must pass;
 * - no WAL (or an empty one): the file alone, opened `immutable` when `lockFree` (nothing is
 *   created, but nothing is locked either: for a file no process of ours writes), otherwise not
 *   looked at here (undefined: the caller's own connection looks).
 */
export async function inspectLog<T>(file: string, lockFree: boolean, look: (db: Database) => Promise<T>): Promise<T | undefined> {
  const { wal, shm } = companionFiles(file)
  if (wal) {
    if (shm !== null) return withDatabase(file, { readonly: true }, look)
    const dir = mkdtempSync(join(tmpdir(), 'backpack-log-check-'))
    try {
      copyFileSync(file, join(dir, 'log'))
      copyFileSync(`${file}-wal`, join(dir, 'log-wal'))
      const seen = await withDatabase(join(dir, 'log'), { readonly: true }, look)
      // no process has it open (no -shm), so this WAL was left behind: the file must pass on its
      // own too, or a WAL of one of our logs would make another program's database look like one
      await withDatabase(file, { immutable: true }, look)
      return seen
    } catch (e) {
      throw e instanceof WorkbenchError
        ? e
        : new WorkbenchError(
            'store-io',
            `cannot check experiment database ${file} (copying it with its WAL for a look failed: ${(e as Error).message})`,
            { cause: e },
          )
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }
  return lockFree ? withDatabase(file, { immutable: true }, look) : undefined
}

/**
 * A read-only connection for a log in a read-only location, creating no file beside it: with its
 * `-wal` and `-shm` both there, an ordinary read-only connection; with no WAL content, `immutable`
 * (nobody can write in a read-only location); a WAL without `-shm` cannot be read without
 * creating one, so that is a `store-io` error.
 */
export async function openWithoutCompanions(file: string, options: Omit<OpenOptions, 'readonly' | 'immutable'>): Promise<Database> {
  const { wal, shm } = companionFiles(file)
  if (wal && shm === null) {
    throw new WorkbenchError(
      'store-io',
      `experiment database ${file} is in a read-only location and has a write-ahead log (${file}-wal) without its -shm file; reading it would create one — open it once where it is writable`,
    )
  }
  return wal ? Database.open(file, { ...options, readonly: true }) : Database.open(file, { ...options, immutable: true })
}

async function withDatabase<T>(file: string, options: OpenOptions, look: (db: Database) => Promise<T>): Promise<T> {
  const db = await Database.open(file, options)
  try {
    return await look(db)
  } finally {
    await db.close().catch(() => undefined)
  }
}
