import { openSync, readSync, closeSync, statSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { WorkbenchError } from '../../shared/errors'
import { createFolder } from '../paths/create-folder'
import { Database, storeError, type OpenOptions } from './database'
import { checkNotNewer, migrateDatabase, schemaVersion } from './migrate-database'
import { SCHEMA_VERSION } from './migrations/index'

/** Page size of databases this app creates (bytes). */
export const NEW_PAGE_SIZE = 16384

const SQLITE_HEADER = Buffer.from('SQLite format 3\0', 'latin1')

export interface OpenDatabaseOptions extends OpenOptions {
  /** stop migrating at this version (tests of migrations) */
  targetVersion?: number
}

/**
 * Opens the experiment database at `path` safely:
 * 1. a file that is not SQLite is refused (`store-corrupt`) before SQLite touches it;
 * 2. a database from a newer app is refused (`store-version`) before anything is written;
 * 3. then WAL, foreign keys, full sync, and pending migrations.
 */
export async function openDatabase(path: string, options: OpenDatabaseOptions = {}): Promise<Database> {
  const file = resolve(path)
  checkFileHeader(file, options.readonly ?? false)
  const db = await Database.open(file, options)
  try {
    // reading the schema parses page 1: a damaged file fails here, before any write
    await db.get('SELECT count(*) AS n FROM sqlite_master')
    const version = await schemaVersion(db)
    checkNotNewer(version, file)
    await db.exec('PRAGMA foreign_keys = ON')
    if (!options.readonly) {
      // A new database gets 16 KiB pages: run rows (~2 kB of JSON) packed into 4 KiB pages
      // left about half of each page empty. An existing file keeps its page size.
      const pages = await db.get<{ page_count: number }>('PRAGMA page_count')
      if (pages?.page_count === 0) await db.exec(`PRAGMA page_size = ${NEW_PAGE_SIZE}`)
      const mode = await db.get<{ journal_mode: string }>('PRAGMA journal_mode = WAL')
      if (mode?.journal_mode !== 'wal') {
        throw new WorkbenchError('store-io', `experiment database ${file} could not switch to WAL journaling (got ${mode?.journal_mode}); the file system may not support shared memory`)
      }
      await db.exec('PRAGMA synchronous = FULL')
      await migrateDatabase(db, options.targetVersion ?? SCHEMA_VERSION)
    } else if (version < (options.targetVersion ?? SCHEMA_VERSION)) {
      throw new WorkbenchError('store-io', `experiment database ${file} is at schema ${version} and needs migrating, but it was opened read-only`)
    }
    return db
  } catch (e) {
    await db.close().catch(() => undefined)
    throw storeError(e, file, 'opening')
  }
}

function checkFileHeader(file: string, readonly: boolean): void {
  let size: number
  try {
    const st = statSync(file)
    if (!st.isFile()) throw new WorkbenchError('store-io', `experiment database path ${file} exists but is not a regular file`)
    size = st.size
  } catch (e) {
    if (e instanceof WorkbenchError) throw e
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new WorkbenchError('store-io', `cannot read experiment database ${file}: ${(e as Error).message}`, { cause: e })
    if (readonly) throw new WorkbenchError('not-found', `experiment database ${file} does not exist (opened read-only)`)
    try {
      createFolder(dirname(file))
    } catch (err) {
      throw new WorkbenchError('store-io', `cannot create the folder for experiment database ${file}: ${(err as Error).message}`, { cause: err })
    }
    return
  }
  if (size === 0) return // SQLite treats an empty file as a new database
  const head = Buffer.alloc(SQLITE_HEADER.length)
  let fd: number | undefined
  try {
    fd = openSync(file, 'r')
    readSync(fd, head, 0, head.length, 0)
  } catch (e) {
    throw new WorkbenchError('store-io', `cannot read experiment database ${file}: ${(e as Error).message}`, { cause: e })
  } finally {
    if (fd !== undefined) closeSync(fd)
  }
  if (size < 100 || !head.equals(SQLITE_HEADER)) {
    throw new WorkbenchError('store-corrupt', `${file} is not an SQLite database (its first bytes are not "SQLite format 3"); it was left untouched — move it away or choose another --db`)
  }
}
