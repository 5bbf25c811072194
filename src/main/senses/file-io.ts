import { open, type FileHandle } from 'node:fs/promises'

/**
 * Reads into `into` from file position `pos` until it is full, in pieces of at most 1 GiB (a
 * single read is capped near 2 GiB): false when the file ends first (what was read stays).
 */
export async function readFully(f: FileHandle, into: Uint8Array, pos: number): Promise<boolean> {
  let done = 0
  while (done < into.length) {
    const { bytesRead } = await f.read(into, done, Math.min(1 << 30, into.length - done), pos + done)
    if (bytesRead === 0) return false
    done += bytesRead
  }
  return true
}

/** The start of the file at `path` into `target`; a shorter file leaves the rest as it was. */
export async function readFileInto(path: string, target: Uint8Array): Promise<void> {
  const f = await open(path, 'r')
  try {
    await readFully(f, target, 0)
  } finally {
    await f.close()
  }
}

/** Elements index..index+count of `arr` (each `bytes` wide) written at the same offset of the file. */
export async function writeAt(
  file: FileHandle,
  arr: Uint16Array | Float32Array,
  index: number,
  count: number,
  bytes: number,
): Promise<void> {
  const view = new Uint8Array(arr.buffer, arr.byteOffset + index * bytes, count * bytes)
  let written = 0
  while (written < view.length) {
    const { bytesWritten } = await file.write(view, written, view.length - written, index * bytes + written)
    written += bytesWritten
  }
}
