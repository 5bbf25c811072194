import { WorkbenchError } from '../../shared/errors'
import { DTYPE_SIZE, numelOf } from './raw-tensor'
import type { DType, RawTensor } from './raw-tensor'

/**
 * Reads a safetensors file held in one buffer: u64 LE header length, JSON header
 * `{name: {dtype, shape, data_offsets: [begin, end]}, __metadata__?}`, then the data. Every
 * declared size and offset is checked against the buffer (dtype × shape = the offsets' span, the
 * spans tile the data exactly); tensors are views into it.
 */

const MAX_HEADER = 100 * 1024 * 1024
const DTYPES = new Set<string>(Object.keys(DTYPE_SIZE))

function fail(file: string, msg: string): never {
  throw new WorkbenchError('checkpoint-format', `${file}: not a valid safetensors file: ${msg}`)
}

export function readSafetensors(data: Uint8Array, file: string): RawTensor[] {
  if (data.length < 8) fail(file, `only ${data.length} bytes`)
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength)
  const declared = view.getBigUint64(0, true)
  if (declared > BigInt(data.length - 8) || declared > BigInt(MAX_HEADER)) {
    fail(file, `header length ${declared} exceeds the ${data.length - 8} bytes after the length field (or the ${MAX_HEADER}-byte limit)`)
  }
  const headerLen = Number(declared)
  let header: unknown
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(data.subarray(8, 8 + headerLen)))
  } catch (e) {
    fail(file, `header is not UTF-8 JSON (${e instanceof Error ? e.message : String(e)})`)
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) fail(file, 'header is not a JSON object')
  const base = 8 + headerLen
  const dataLen = data.length - base
  const out: RawTensor[] = []
  const spans: Array<[number, number, string]> = []
  for (const [name, info] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') continue
    const where = `tensor ${name}`
    if (typeof info !== 'object' || info === null) fail(file, `${where}: entry is not an object`)
    const { dtype, shape, data_offsets: offsets } = info as Record<string, unknown>
    if (typeof dtype !== 'string' || !DTYPES.has(dtype)) {
      fail(file, `${where}: dtype ${JSON.stringify(dtype)} is not one of ${[...DTYPES].join(', ')}`)
    }
    if (!Array.isArray(shape)) fail(file, `${where}: shape is not a list`)
    const numel = numelOf(shape, `${file}: ${where}`)
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
      fail(file, `${where}: data_offsets ${JSON.stringify(offsets)} must be two non-negative integers`)
    }
    const [begin, end] = offsets as [number, number]
    const want = numel * DTYPE_SIZE[dtype as DType]
    if (end < begin || end - begin !== want) {
      fail(
        file,
        `${where}: data_offsets [${begin}, ${end}] hold ${end - begin} bytes but shape ${JSON.stringify(shape)} × ${dtype} needs ${want}`,
      )
    }
    if (end > dataLen) fail(file, `${where}: data_offsets end ${end} lies beyond the ${dataLen} data bytes in the file`)
    spans.push([begin, end, name])
    out.push({
      name,
      dtype: dtype as DType,
      shape: shape as number[],
      bytes: data.subarray(base + begin, base + end),
      identity: `${file}#${name}`,
      file,
    })
  }
  // The data must be exactly the tensors, back to back (as the format's own reader demands): no
  // overlap, no hole, nothing after the last one. Zero-size tensors sort before others at their offset.
  spans.sort((a, b) => a[0] - b[0] || a[1] - b[1])
  let covered = 0
  let last = '(none)'
  for (const [begin, end, name] of spans) {
    if (begin < covered)
      fail(file, `tensors ${last} and ${name} overlap (${name} begins at data byte ${begin}, ${last} ends at ${covered})`)
    if (begin > covered) fail(file, `data bytes [${covered}, ${begin}) before tensor ${name} belong to no tensor`)
    covered = end
    last = name
  }
  if (covered !== dataLen)
    fail(file, `the header's tensors end at data byte ${covered} (after tensor ${last}) but the file holds ${dataLen} data bytes`)
  return out
}
