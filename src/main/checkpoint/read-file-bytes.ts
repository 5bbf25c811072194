import { open } from 'node:fs/promises'
import { WorkbenchError } from '../../shared/errors'

const CHUNK = 64 * 1024 * 1024
/** Larger than any Backpack checkpoint shard we expect; bounded by what one typed array holds. */
export const MAX_FILE_BYTES = 4 * 1024 * 1024 * 1024 - 1

export function throwIfAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) throw new WorkbenchError('cancelled', `${what} was cancelled`)
}

/**
 * Reads a whole file into one freshly allocated buffer of exactly its size (offset 0, so
 * float32 views line up with the file's own alignment), checking `signal` between chunks.
 */
export async function readFileBytes(path: string, signal?: AbortSignal): Promise<Uint8Array> {
  throwIfAborted(signal, `reading ${path}`)
  let fh
  try {
    fh = await open(path, 'r')
  } catch (e) {
    throw new WorkbenchError('not-found', `cannot open ${path}: ${e instanceof Error ? e.message : String(e)}`, { cause: e })
  }
  try {
    const { size } = await fh.stat()
    if (size > MAX_FILE_BYTES) throw new WorkbenchError('checkpoint-format', `${path} is ${size} bytes; files over ${MAX_FILE_BYTES} bytes must be sharded`)
    const out = new Uint8Array(size)
    let pos = 0
    while (pos < size) {
      throwIfAborted(signal, `reading ${path}`)
      const { bytesRead } = await fh.read(out, pos, Math.min(CHUNK, size - pos), pos)
      if (bytesRead === 0) throw new WorkbenchError('checkpoint-format', `${path} shrank while being read (${pos} of ${size} bytes)`)
      pos += bytesRead
    }
    return out
  } finally {
    await fh.close()
  }
}
