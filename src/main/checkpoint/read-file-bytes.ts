import { constants } from 'node:fs'
import { lstat, open, stat, type FileHandle } from 'node:fs/promises'
import { WorkbenchError, type ErrorCode } from '../../shared/errors'

const CHUNK = 64 * 1024 * 1024
/** Larger than any Backpack checkpoint shard we expect; bounded by what one typed array holds. */
export const MAX_FILE_BYTES = 4 * 1024 * 1024 * 1024 - 1
/** O_NONBLOCK where the platform has it: opening a FIFO then returns at once instead of waiting for a writer. */
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0)

export function throwIfAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) throw new WorkbenchError('cancelled', `${what} was cancelled`)
}

/** What a stat says a path is, in words for error messages. */
function kindOf(s: {
  isDirectory(): boolean
  isFIFO(): boolean
  isSocket(): boolean
  isCharacterDevice(): boolean
  isBlockDevice(): boolean
}): string {
  if (s.isDirectory()) return 'a directory'
  if (s.isFIFO()) return 'a named pipe (FIFO)'
  if (s.isSocket()) return 'a socket'
  if (s.isCharacterDevice() || s.isBlockDevice()) return 'a device'
  return 'not a regular file'
}

/**
 * Whether a checkpoint file is there: true for a regular file (symlinks followed), false when
 * nothing has that name, and a typed `code` error when the name is taken by something that is
 * not a readable file (a directory, FIFO, device, socket, a symlink loop or a dangling symlink),
 * so that it is neither skipped silently nor read (a FIFO would block the read).
 */
export async function isRegularFile(path: string, code: ErrorCode): Promise<boolean> {
  let s
  try {
    s = await stat(path)
  } catch (e) {
    const errno = (e as NodeJS.ErrnoException).code
    if (errno === 'ELOOP') throw new WorkbenchError(code, `${path} is a symbolic link loop, not a file`, { cause: e })
    if (errno === 'ENOENT' || errno === 'ENOTDIR') {
      const dangling = await lstat(path).then(
        (l) => l.isSymbolicLink(),
        () => false,
      )
      if (dangling) throw new WorkbenchError(code, `${path} is a symbolic link to a file that does not exist`, { cause: e })
      return false
    }
    throw new WorkbenchError(code, `cannot inspect ${path}: ${(e as Error).message}`, { cause: e })
  }
  if (!s.isFile()) throw new WorkbenchError(code, `${path} is ${kindOf(s)}; a checkpoint file must be a regular file`)
  return true
}

/**
 * Opens a regular file for reading without blocking, checked to be a regular file of at most
 * `maxBytes` (else a `code` error) before a byte is read; the caller closes it.
 */
export async function openRegularFile(
  path: string,
  limit: { maxBytes: number; code: ErrorCode } = { maxBytes: MAX_FILE_BYTES, code: 'checkpoint-format' },
): Promise<{ fh: FileHandle; size: number; mtimeMs: number }> {
  let fh
  try {
    fh = await open(path, OPEN_FLAGS)
  } catch (e) {
    const loop = (e as NodeJS.ErrnoException).code === 'ELOOP'
    throw new WorkbenchError(
      loop ? limit.code : 'not-found',
      `cannot open ${path}: ${loop ? 'a symbolic link loop' : e instanceof Error ? e.message : String(e)}`,
      { cause: e },
    )
  }
  try {
    const s = await fh.stat()
    if (!s.isFile()) throw new WorkbenchError(limit.code, `${path} is ${kindOf(s)}; a checkpoint file must be a regular file`)
    const { size } = s
    if (size > limit.maxBytes)
      throw new WorkbenchError(
        limit.code,
        `${path} is ${size} bytes; ${limit.maxBytes === MAX_FILE_BYTES ? 'files over' : 'this file may not exceed'} ${limit.maxBytes} bytes${limit.maxBytes === MAX_FILE_BYTES ? ' must be sharded' : ''}`,
      )
    return { fh, size, mtimeMs: s.mtimeMs }
  } catch (e) {
    await fh.close()
    throw e
  }
}

/** Reads `length` bytes at `position` of an open file into `into` at `at`; fewer (the file shrank) is a `code` error. */
export async function readExactly(
  fh: FileHandle,
  into: Uint8Array,
  at: number,
  length: number,
  position: number,
  what: string,
  code: ErrorCode = 'checkpoint-format',
): Promise<void> {
  let done = 0
  while (done < length) {
    const { bytesRead } = await fh.read(into, at + done, length - done, position + done)
    if (bytesRead === 0) throw new WorkbenchError(code, `${what} shrank while being read (${position + done} bytes)`)
    done += bytesRead
  }
}

/**
 * Reads a whole regular file into one freshly allocated buffer of exactly its size (offset 0, so
 * float32 views line up with the file's own alignment), checking `signal` between chunks. The
 * file is opened without blocking and checked to be a regular file before a byte is read; larger
 * than `maxBytes` is a `code` error.
 */
export async function readFileBytes(
  path: string,
  signal?: AbortSignal,
  limit: { maxBytes: number; code: ErrorCode } = { maxBytes: MAX_FILE_BYTES, code: 'checkpoint-format' },
): Promise<Uint8Array> {
  throwIfAborted(signal, `reading ${path}`)
  const { fh, size } = await openRegularFile(path, limit)
  try {
    const out = new Uint8Array(size)
    let pos = 0
    while (pos < size) {
      throwIfAborted(signal, `reading ${path}`)
      const { bytesRead } = await fh.read(out, pos, Math.min(CHUNK, size - pos), pos)
      if (bytesRead === 0) throw new WorkbenchError(limit.code, `${path} shrank while being read (${pos} of ${size} bytes)`)
      pos += bytesRead
    }
    return out
  } finally {
    await fh.close()
  }
}
