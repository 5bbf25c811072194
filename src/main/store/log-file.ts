import { accessSync, closeSync, constants, openSync, readSync, statSync } from 'node:fs'
import { dirname } from 'node:path'
import { WorkbenchError } from '../../shared/errors'

/**
 * What the experiment log's file says about itself before SQLite opens it: its header (is it
 * SQLite, whose is it), its `-wal`/`-shm` companions, and whether its location is read-only.
 * Reads bytes only; never creates or changes anything.
 */

/**
 * `PRAGMA application_id` of an experiment log: "BPWB" (Backpack WorkBench) as a big-endian
 * 32-bit integer, 0x42505742 = 1112561474. Set when a log is created (or when a log made before
 * the stamp existed is first opened), so the workbench recognises its own files and refuses any
 * other program's database.
 */
export const LOG_APPLICATION_ID = 0x42505742

const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1')
const HEADER_BYTES = 100

export type LogFileState =
  | { kind: 'absent' }
  | { kind: 'empty' }
  /** an SQLite database; the numbers are those of the main file's header (the WAL may hold newer ones) */
  | { kind: 'sqlite'; applicationId: number; userVersion: number; walMode: boolean }

/** Reads the first 100 bytes; `store-corrupt` when they are not a sound SQLite header. */
export function readLogFile(file: string): LogFileState {
  let size: number
  try {
    const st = statSync(file)
    if (!st.isFile()) throw new WorkbenchError('store-io', `experiment database path ${file} exists but is not a regular file`)
    size = st.size
  } catch (e) {
    if (e instanceof WorkbenchError) throw e
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'absent' }
    throw new WorkbenchError('store-io', `cannot read experiment database ${file}: ${(e as Error).message}`, { cause: e })
  }
  if (size === 0) return { kind: 'empty' }
  const head = Buffer.alloc(HEADER_BYTES)
  let got = 0
  let fd: number | undefined
  try {
    fd = openSync(file, 'r')
    got = readSync(fd, head, 0, HEADER_BYTES, 0)
  } catch (e) {
    throw new WorkbenchError('store-io', `cannot read experiment database ${file}: ${(e as Error).message}`, { cause: e })
  } finally {
    if (fd !== undefined) closeSync(fd)
  }
  if (got < HEADER_BYTES || !head.subarray(0, SQLITE_MAGIC.length).equals(SQLITE_MAGIC)) {
    throw new WorkbenchError(
      'store-corrupt',
      `${file} is not an SQLite database (its first bytes are not "SQLite format 3"); it was left untouched — move it away or choose another --db`,
    )
  }
  const problem = headerProblem(head)
  if (problem) {
    throw new WorkbenchError(
      'store-corrupt',
      `${file} has a damaged SQLite header (${problem}); it was left untouched — move it away or choose another --db`,
    )
  }
  return {
    kind: 'sqlite',
    applicationId: head.readUInt32BE(68),
    userVersion: head.readUInt32BE(60),
    walMode: head[18] === 2 && head[19] === 2,
  }
}

/** The header fields SQLite itself checks (https://www.sqlite.org/fileformat.html#the_database_header). */
function headerProblem(head: Buffer): string | undefined {
  const raw = head.readUInt16BE(16)
  const pageSize = pageSizeOf(head)
  if (pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) !== 0) return `page size ${raw}`
  if (head[18] < 1 || head[18] > 2 || head[19] < 1 || head[19] > 2) return `file format versions ${head[18]}/${head[19]}`
  if (head[21] !== 64 || head[22] !== 32 || head[23] !== 32) return 'payload fractions'
  if (head.readUInt32BE(44) > 4) return `schema format ${head.readUInt32BE(44)}`
  return undefined
}

/** The page size of a database's header (first 100 bytes). */
function pageSizeOf(head: Buffer): number {
  const raw = head.readUInt16BE(16)
  return raw === 1 ? 65536 : raw
}

/**
 * Refuses (`store-corrupt`) a `-wal` file that cannot be this database's: a valid WAL header
 * whose page size differs from the database's. SQLite would replay its frames all the same.
 */
export function checkWalBelongs(file: string): void {
  const wal = Buffer.alloc(32)
  const main = Buffer.alloc(HEADER_BYTES)
  let got = 0
  try {
    got = readHead(`${file}-wal`, wal)
    if (readHead(file, main) < HEADER_BYTES) return
  } catch {
    return // no WAL (or unreadable: SQLite reports that)
  }
  const magic = wal.readUInt32BE(0)
  if (got < 32 || (magic !== 0x377f0682 && magic !== 0x377f0683)) return // not a WAL header: SQLite ignores the file
  const walPage = wal.readUInt32BE(8)
  if (walPage !== pageSizeOf(main)) {
    throw new WorkbenchError(
      'store-corrupt',
      `${file}-wal is not this database's write-ahead log (its pages are ${walPage} bytes, the database's ${pageSizeOf(main)}); both were left untouched — move the -wal file away if it does not belong here`,
    )
  }
}

function readHead(path: string, into: Buffer): number {
  const fd = openSync(path, 'r')
  try {
    return readSync(fd, into, 0, into.length, 0)
  } finally {
    closeSync(fd)
  }
}

/** The sizes of the `-wal` and `-shm` files beside the log (null: absent). */
export function companionFiles(file: string): { wal: number | null; shm: number | null } {
  const size = (p: string) => {
    try {
      return statSync(p).size
    } catch {
      return null
    }
  }
  return { wal: size(`${file}-wal`), shm: size(`${file}-shm`) }
}

/**
 * Whether the log must be treated as read-only: the file (when it exists) or its folder is not
 * writable by this process, or carries no write permission bit at all. The second rule makes a
 * `chmod a-w` file or folder read-only for root too (the kernel lets root write it), so the
 * workbench never leaves files beside a database its owner marked read-only.
 */
export function isReadOnlyLocation(file: string): boolean {
  const denies = (p: string, bits: boolean) => {
    try {
      accessSync(p, constants.W_OK)
      return bits && (statSync(p).mode & 0o222) === 0
    } catch (e) {
      return (e as NodeJS.ErrnoException).code !== 'ENOENT'
    }
  }
  // Windows folders carry a read-only attribute for other reasons (customised folders), and
  // their mode bits mirror it: only the access check counts for a folder there.
  return denies(file, true) || denies(dirname(file), process.platform !== 'win32')
}
