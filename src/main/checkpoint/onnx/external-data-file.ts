import { open, type FileHandle } from 'node:fs/promises'

/**
 * One external-data file shared by every graph of an export: each weight is written once, at an
 * offset aligned to ALIGNMENT, so onnxruntime can memory-map it and a weight used by several
 * graphs points at the same bytes. Weights are registered while the graphs are built (offsets
 * are fixed then) and written afterwards by `flush`, asynchronously, so a long conversion reports
 * progress and can be cancelled between tensors.
 */
export const EXTERNAL_DATA_FILE = 'weights.bin'
/** 64 KiB: a multiple of the 4096-byte page size and of Windows' allocation granularity (mmap). */
export const ALIGNMENT = 65536

export interface ExternalRef {
  offset: number
  length: number
}

export class ExternalDataFile {
  #size = 0
  readonly #refs = new Map<string, ExternalRef>()
  readonly #pending: { ref: ExternalRef; data: Float32Array }[] = []

  constructor(readonly path: string) {}

  /** Registers `data` under `key` (once; later calls with the same key return the same location). */
  write(key: string, data: Float32Array): ExternalRef {
    const seen = this.#refs.get(key)
    if (seen) return seen
    const ref = { offset: Math.ceil(this.#size / ALIGNMENT) * ALIGNMENT, length: data.byteLength }
    this.#size = ref.offset + ref.length
    this.#refs.set(key, ref)
    this.#pending.push({ ref, data })
    return ref
  }

  /** Offset of a registered key. */
  offsetOf(key: string): number {
    const ref = this.#refs.get(key)
    if (!ref) throw new Error(`external data: ${key} was not written`)
    return ref.offset
  }

  get size(): number {
    return this.#size
  }

  /**
   * Writes every registered weight; `checkAbort` runs between tensors and may throw. Weights that
   * are views of `source.buffer` (a streamed checkpoint's unread file image) are copied from the
   * checkpoint file through two reused buffers (reading one while writing the other) instead of
   * from memory.
   */
  async flush(
    options: { checkAbort?: () => void; onBytes?: (written: number, total: number) => void; source?: WeightSource } = {},
  ): Promise<void> {
    const fh = await open(this.path, 'w')
    try {
      let written = 0
      const chunks: Uint8Array[] = []
      for (const { ref, data } of this.#pending) {
        options.checkAbort?.()
        const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
        if (options.source !== undefined && data.buffer === options.source.buffer) {
          if (chunks.length === 0) chunks.push(new Uint8Array(COPY_CHUNK), new Uint8Array(COPY_CHUNK))
          await copyFrom(options.source, data.byteOffset, bytes.length, chunks, (part, at) => writeAll(fh, part, ref.offset + at))
        } else {
          await writeAll(fh, bytes, ref.offset)
        }
        written += bytes.length
        options.onBytes?.(written, this.#size)
      }
      if (this.#size > 0) await fh.truncate(this.#size)
      await fh.sync()
    } finally {
      await fh.close()
    }
    this.#pending.length = 0
  }
}

/** A checkpoint file whose bytes stand behind the views of `buffer` at the same offsets. */
export interface WeightSource {
  buffer: ArrayBufferLike
  read(into: Uint8Array, position: number): Promise<void>
}

/** Bytes per copy from a weight source (two reused buffers). */
const COPY_CHUNK = 4 * 1024 * 1024

async function writeAll(fh: FileHandle, bytes: Uint8Array, position: number): Promise<void> {
  for (let done = 0; done < bytes.length;) {
    const r = await fh.write(bytes, done, Math.min(bytes.length - done, 1 << 26), position + done)
    done += r.bytesWritten
  }
}

/** Copies `length` bytes at `position` of the source to `write`, reading the next chunk while the last one is written. */
async function copyFrom(
  source: WeightSource,
  position: number,
  length: number,
  chunks: Uint8Array[],
  write: (part: Uint8Array, at: number) => Promise<void>,
): Promise<void> {
  const readChunk = (at: number): Promise<void> | null =>
    at < length ? source.read(chunks[(at / COPY_CHUNK) % 2].subarray(0, Math.min(COPY_CHUNK, length - at)), position + at) : null
  let pending = readChunk(0)
  try {
    for (let at = 0; at < length; at += COPY_CHUNK) {
      await pending
      pending = readChunk(at + COPY_CHUNK)
      await write(chunks[(at / COPY_CHUNK) % 2].subarray(0, Math.min(COPY_CHUNK, length - at)), at)
    }
  } catch (e) {
    await pending?.catch(() => undefined) // no read left in flight
    throw e
  }
}
