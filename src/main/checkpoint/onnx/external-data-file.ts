import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs'

/**
 * One external-data file shared by every graph of an export: each weight is written once, at an
 * offset aligned to ALIGNMENT, so onnxruntime can memory-map it and graphs that use the same
 * weight (E in the sense, context and LM-head graphs) point at the same bytes on disk.
 */
export const EXTERNAL_DATA_FILE = 'weights.bin'
/** 64 KiB: a multiple of the 4096-byte page size and of Windows' allocation granularity (mmap). */
export const ALIGNMENT = 65536

export interface ExternalRef {
  offset: number
  length: number
}

export class ExternalDataFile {
  readonly #fd: number
  #size = 0
  readonly #written = new Map<string, ExternalRef>()

  constructor(path: string) {
    this.#fd = openSync(path, 'w')
  }

  /** Writes `data` under `key` (once; later calls with the same key return the same location). */
  write(key: string, data: Float32Array): ExternalRef {
    const seen = this.#written.get(key)
    if (seen) return seen
    const offset = Math.ceil(this.#size / ALIGNMENT) * ALIGNMENT
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
    let done = 0
    while (done < bytes.length) {
      done += writeSync(this.#fd, bytes, done, Math.min(bytes.length - done, 1 << 28), offset + done)
    }
    const ref = { offset, length: bytes.length }
    this.#size = offset + bytes.length
    this.#written.set(key, ref)
    return ref
  }

  /** Offset of a written key. */
  offsetOf(key: string): number {
    const ref = this.#written.get(key)
    if (!ref) throw new Error(`external data: ${key} was not written`)
    return ref.offset
  }

  get size(): number {
    return this.#size
  }

  close(): void {
    fsyncSync(this.#fd)
    closeSync(this.#fd)
  }
}
