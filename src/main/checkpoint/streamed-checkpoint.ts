import { readSync } from 'node:fs'
import type { FileHandle } from 'node:fs/promises'
import { join } from 'node:path'
import { crc32 } from 'node:zlib'
import { WorkbenchError } from '../../shared/errors'
import type { BackpackConfig } from '../../shared/model/config'
import { checkpointLayout, parseBackpackConfig, senseSumScale } from './backpack-config'
import { ALIASES, canonicalTensors, checkFinite, MASK_BUFFER, type CheckpointTensor } from './canonical-tensors'
import { contentHasher, tensorHashHeader } from './content-hash'
import type { ProbeWeights } from './forward-probe'
import { SENSE_WEIGHT_NET_W } from './onnx/graph-ops'
import { BLOCK_FLOATS } from './probe-ops'
import type { WeightSource } from './onnx/external-data-file'
import type { RawTensor } from './raw-tensor'
import { isRegularFile, openRegularFile, readExactly, readFileBytes, throwIfAborted } from './read-file-bytes'
import { readCheckpoint, type LoadedCheckpoint } from './read-checkpoint'
import { readSafetensors } from './safetensors'
import { isLegacyTorch } from './torch-legacy'
import { readTorchZip } from './torch-zip'
import { checkEntryCrc, readZipDirectory, type ZipEntry } from './zip-archive'

/**
 * The conversion's reader: a checkpoint read without holding its weights in memory. Reading a
 * 683 MB checkpoint into one fresh buffer costs seconds of page faults; here the weight file is
 * an *image*: a buffer of the file's size of which only the format's metadata is read (the zip
 * directory, local headers and pickle; the safetensors header), so the readers run unchanged and
 * every tensor is a view whose offset is its offset in the file, its pages never touched. Then,
 * through one reused buffer: the CRC-32 of every large stored zip entry (`checkpoint-corrupt`),
 * the finite check and the content hash of every canonical tensor in name order (as
 * `contentHash`); the overflow probe reads its weights from the file, matrices in blocks of rows
 * through one reused buffer (`probeWeights`), and the export copies them from the file
 * (`source`, for `writeOnnxExport`).
 *
 * It streams a single-file torch zip or safetensors checkpoint in the HF layout whose weights are
 * float32 at 4-byte-aligned offsets, with tied tensors stored once; anything else (sharded,
 * legacy, fp16/bf16, Levanter's folded scale, a layout the metadata-only read cannot place, any
 * malformed file) is read by `readCheckpoint` in memory, which also gives the verdict on a bad file.
 */
export interface StreamedCheckpoint extends LoadedCheckpoint {
  /** present when streamed: `tensors` are views of the unread image; read values through these */
  stream?: {
    source: WeightSource
    probeWeights(): ProbeWeights
    /** Closes the file; `check`: first throws `checkpoint-corrupt` if it changed (size or mtime) since it was opened. */
    close(check?: boolean): Promise<void>
  }
}

/** Storages at least this large stay on disk; smaller ones are read with the metadata. */
const STREAM_MIN = 1024 * 1024
/** Bytes per read of a pass over the weights (one reused buffer). */
const CHUNK = 4 * 1024 * 1024

/** `streamMinBytes`: storages at least this large stay on disk (default 1 MiB; tests lower it). */
export async function readCheckpointStreamed(
  dir: string,
  options: { signal?: AbortSignal; streamMinBytes?: number } = {},
): Promise<StreamedCheckpoint> {
  const streams = (e: ZipEntry): boolean =>
    e.method === 0 && e.compressedSize >= (options.streamMinBytes ?? STREAM_MIN) && STORAGE_ENTRY.test(e.name)
  const located = await locate(dir, streams, options.signal).catch((e: unknown) => {
    if (e instanceof WorkbenchError && e.code === 'cancelled') throw e
    return null // the in-memory reader reads it, or names what is wrong with it
  })
  if (!located) return readCheckpoint(dir, options)
  try {
    return await stream(located, options.signal)
  } catch (e) {
    await located.fh.close()
    throw e
  }
}

interface Located {
  dir: string
  file: string
  format: 'safetensors' | 'pytorch-zip'
  fh: FileHandle
  size: number
  mtimeMs: number
  image: Uint8Array
  deferred: ZipEntry[]
  config: BackpackConfig
  rawConfig: Record<string, unknown>
  tensors: Map<string, CheckpointTensor>
}

async function locate(dir: string, streams: (e: ZipEntry) => boolean, signal?: AbortSignal): Promise<Located | null> {
  const configPath = join(dir, 'config.json')
  if (!(await isRegularFile(configPath, 'checkpoint-config'))) return null
  const rawConfig = JSON.parse(
    new TextDecoder('utf-8', { fatal: true }).decode(
      await readFileBytes(configPath, signal, { maxBytes: 16 * 1024 * 1024, code: 'checkpoint-config' }),
    ),
  ) as Record<string, unknown>
  const config = parseBackpackConfig(rawConfig)
  if (senseSumScale(checkpointLayout(rawConfig), config) !== 1) return null
  let format: Located['format']
  if (await isRegularFile(join(dir, 'model.safetensors'), 'checkpoint-format')) format = 'safetensors'
  else if (await isRegularFile(join(dir, 'model.safetensors.index.json'), 'checkpoint-format')) return null
  else if (await isRegularFile(join(dir, 'pytorch_model.bin'), 'checkpoint-format')) format = 'pytorch-zip'
  else return null
  const file = format === 'safetensors' ? 'model.safetensors' : 'pytorch_model.bin'
  const { fh, size, mtimeMs } = await openRegularFile(join(dir, file))
  let located: Located | null = null
  try {
    const image = new Uint8Array(size) // untouched pages cost nothing: only what is read below is resident
    const load = async (position: number, length: number): Promise<void> => {
      const n = Math.max(0, Math.min(length, size - position))
      if (n > 0) await readExactly(fh, image, position, n, position, file)
    }
    const deferred: ZipEntry[] = []
    let raw: RawTensor[]
    if (format === 'safetensors') {
      await load(0, 8)
      const headerLen = Number(new DataView(image.buffer).getBigUint64(0, true))
      if (headerLen > size - 8) return null
      await load(8, headerLen)
      raw = readSafetensors(image, file)
    } else {
      await load(0, 4)
      if (isLegacyTorch(image) || image[0] !== 0x50 || image[1] !== 0x4b) return null
      await load(Math.max(0, size - STREAM_MIN), STREAM_MIN) // end of central directory, zip64 records, the directory
      const entries = readZipDirectory(image, file)
      const view = new DataView(image.buffer)
      for (const e of entries.values()) {
        throwIfAborted(signal, `reading ${file}`)
        await load(e.localHeaderOffset, 30)
        const names = view.getUint16(e.localHeaderOffset + 26, true) + view.getUint16(e.localHeaderOffset + 28, true)
        await load(e.localHeaderOffset + 30, names)
        if (!streams(e)) await load(e.localHeaderOffset + 30 + names, e.compressedSize)
      }
      raw = readTorchZip(image, file, { defer: streams, deferred })
    }
    for (const t of raw) {
      if (MASK_BUFFER.test(t.name)) continue
      if (t.dtype !== 'F32' || t.bytes.buffer !== image.buffer || t.bytes.byteOffset % 4 !== 0) return null
    }
    for (const [canonical, aliases] of ALIASES) {
      const present = raw.filter((t) => t.name === canonical || aliases.includes(t.name))
      if (present.some((t) => t.identity !== present[0].identity)) return null // the in-memory reader compares their values
    }
    const tensors = canonicalTensors(raw, config, () => throwIfAborted(signal, `reading ${dir}`), { checkValues: false })
    located = { dir, file, format, fh, size, mtimeMs, image, deferred, config, rawConfig, tensors }
    return located
  } finally {
    if (!located) await fh.close()
  }
}

/** A torch storage (`<folder>/data/<key>`): only these may stay on disk; the pickle and the rest are read. */
const STORAGE_ENTRY = /^[^/]+\/data\/[^/]+$/

async function stream(l: Located, signal?: AbortSignal): Promise<StreamedCheckpoint> {
  const chunks = [new Uint8Array(CHUNK), new Uint8Array(CHUNK)]
  const aborted = (): void => throwIfAborted(signal, `reading ${l.dir}`)
  /**
   * Calls `each` with consecutive chunks of the file's bytes [position, position + length); the
   * next chunk is read (in the thread pool) while `each` works on this one.
   */
  const pass = async (position: number, length: number, each: (bytes: Uint8Array, done: number) => void): Promise<void> => {
    const readChunk = (done: number): Promise<void> | null =>
      done < length ? readExactly(l.fh, chunks[(done / CHUNK) % 2], 0, Math.min(CHUNK, length - done), position + done, l.file) : null
    let pending = readChunk(0)
    try {
      for (let done = 0; done < length; done += CHUNK) {
        aborted()
        await pending
        pending = readChunk(done + CHUNK)
        each(chunks[(done / CHUNK) % 2].subarray(0, Math.min(CHUNK, length - done)), done)
      }
    } catch (e) {
      await pending?.catch(() => undefined) // no read left in flight on a file about to be closed
      throw e
    }
  }
  // 1. the archive's integrity, before any value is looked at (as the in-memory reader orders it)
  const header = new DataView(l.image.buffer)
  for (const entry of new Set(l.deferred)) {
    const start =
      entry.localHeaderOffset +
      30 +
      header.getUint16(entry.localHeaderOffset + 26, true) +
      header.getUint16(entry.localHeaderOffset + 28, true)
    let crc = 0
    await pass(start, entry.compressedSize, (bytes) => (crc = crc32(bytes, crc)))
    checkEntryCrc(entry, entry.compressedSize, crc, l.file)
  }
  // 2. finite values and the content hash, tensor by tensor in name order
  const hash = contentHasher(l.config)
  for (const name of [...l.tensors.keys()].sort()) {
    const t = l.tensors.get(name)!
    hash.update(tensorHashHeader(name, t.shape))
    await pass(t.data.byteOffset, t.data.byteLength, (bytes, done) => {
      checkFinite(name, new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4), done / 4)
      hash.update(bytes)
    })
  }
  // 3. the one weight the graph builders read, in memory (small: 2·d_model²)
  /** Values [from, from + count) of a tensor, read from the file into `into` (a view of it is returned). */
  const read = (t: CheckpointTensor, from: number, count: number, into: Float32Array): Float32Array => {
    const bytes = new Uint8Array(into.buffer, into.byteOffset, count * 4)
    for (let done = 0; done < bytes.length;) {
      const n = readSync(l.fh.fd, bytes, done, bytes.length - done, t.data.byteOffset + from * 4 + done)
      if (n === 0) throw new WorkbenchError('checkpoint-format', `${l.file} shrank while being read`)
      done += n
    }
    return into.subarray(0, count)
  }
  const sw = l.tensors.get(SENSE_WEIGHT_NET_W)
  if (sw) l.tensors.set(SENSE_WEIGHT_NET_W, { shape: sw.shape, data: read(sw, 0, sw.data.length, new Float32Array(sw.data.length)) })

  const tensors = l.tensors
  let block: Float32Array | null = null
  let closed = false
  return {
    dir: l.dir,
    format: l.format,
    layout: 'hf',
    files: [l.file],
    config: l.config,
    rawConfig: l.rawConfig,
    tensors,
    contentHash: hash.digest('hex'),
    stream: {
      source: { buffer: l.image.buffer, read: (into, position) => readExactly(l.fh, into, 0, into.length, position, l.file) },
      probeWeights: () => ({
        config: l.config,
        tensors: {
          get(name) {
            const t = tensors.get(name)
            return t && t.data.buffer === l.image.buffer
              ? { shape: t.shape, data: read(t, 0, t.data.length, new Float32Array(t.data.length)) }
              : t
          },
        },
        // matrices in blocks of rows through one reused buffer
        rows(name, first, count, cols) {
          const t = tensors.get(name)
          if (!t) throw new WorkbenchError('checkpoint-shape', `tensor ${name} is missing`)
          if (t.data.buffer !== l.image.buffer) return t.data.subarray(first * cols, (first + count) * cols)
          if (!block || block.length < count * cols) block = new Float32Array(Math.max(count * cols, BLOCK_FLOATS))
          return read(t, first * cols, count * cols, block)
        },
      }),
      close: async (check = false) => {
        if (closed) return
        closed = true
        const s = check ? await l.fh.stat().catch(() => null) : null
        await l.fh.close()
        if (check && (!s || s.size !== l.size || s.mtimeMs !== l.mtimeMs))
          throw new WorkbenchError('checkpoint-corrupt', `${l.file} changed while it was being converted; convert it again`)
      },
    },
  }
}
