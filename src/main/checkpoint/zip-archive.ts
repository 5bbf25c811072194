import { crc32 } from 'node:zlib'
import { inflateSync } from 'fflate'
import { WorkbenchError } from '../../shared/errors'

/**
 * A zip reader for torch checkpoints that works on one in-memory buffer: it parses the central
 * directory (zip64 included, which torch always writes), checks every declared offset and size
 * against the buffer, and returns stored entries as views (no copy). Deflated entries are
 * inflated with fflate into a buffer of the declared size, and only while their total stays
 * below the archive's own size. Sizes in local headers are ignored: torch sets the
 * data-descriptor flag and writes zeros there. Every entry's bytes are checked against the
 * CRC-32 of its central-directory record (error `checkpoint-corrupt`).
 */

export interface ZipEntry {
  name: string
  method: number // 0 stored, 8 deflated
  compressedSize: number
  uncompressedSize: number
  localHeaderOffset: number
  /** CRC-32 of the uncompressed bytes, from the central directory */
  crc32: number
}

const SIG_EOCD = 0x06054b50
const SIG_EOCD64 = 0x06064b50
const SIG_EOCD64_LOCATOR = 0x07064b50
const SIG_CENTRAL = 0x02014b50
const SIG_LOCAL = 0x04034b50
const MAX_ENTRIES = 1 << 20

function fail(where: string, msg: string): never {
  throw new WorkbenchError('checkpoint-format', `${where}: not a valid zip archive: ${msg}`)
}

function u64(view: DataView, at: number, where: string): number {
  const v = view.getBigUint64(at, true)
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) fail(where, `64-bit field at ${at} is out of range`)
  return Number(v)
}

function findEocd(data: Uint8Array, view: DataView, where: string): number {
  if (data.length < 22) fail(where, `only ${data.length} bytes`)
  const lowest = Math.max(0, data.length - 22 - 0xffff)
  for (let i = data.length - 22; i >= lowest; i--) {
    if (view.getUint32(i, true) === SIG_EOCD && i + 22 + view.getUint16(i + 20, true) === data.length) return i
  }
  return fail(where, 'end-of-central-directory record not found (truncated file?)')
}

/** Parses the central directory; names are unique, offsets and sizes lie inside the buffer. */
export function readZipDirectory(data: Uint8Array, where: string): Map<string, ZipEntry> {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength)
  const eocd = findEocd(data, view, where)
  let count = view.getUint16(eocd + 10, true)
  let cdSize = view.getUint32(eocd + 12, true)
  let cdOffset = view.getUint32(eocd + 16, true)
  const loc = eocd - 20
  if (loc >= 0 && view.getUint32(loc, true) === SIG_EOCD64_LOCATOR) {
    const rec = u64(view, loc + 8, where)
    if (rec + 56 > loc || view.getUint32(rec, true) !== SIG_EOCD64)
      fail(where, 'zip64 end-of-central-directory record is missing or out of place')
    count = u64(view, rec + 32, where)
    cdSize = u64(view, rec + 40, where)
    cdOffset = u64(view, rec + 48, where)
  }
  if (count > MAX_ENTRIES) fail(where, `${count} entries`)
  if (cdOffset + cdSize > data.length || cdSize < count * 46)
    fail(where, `central directory (${cdSize} bytes at ${cdOffset}) does not fit the file of ${data.length} bytes`)
  const entries = new Map<string, ZipEntry>()
  const decoder = new TextDecoder('utf-8', { fatal: true })
  let p = cdOffset
  const end = cdOffset + cdSize
  for (let i = 0; i < count; i++) {
    if (p + 46 > end || view.getUint32(p, true) !== SIG_CENTRAL) fail(where, `central directory entry ${i} is malformed`)
    const flags = view.getUint16(p + 8, true)
    const method = view.getUint16(p + 10, true)
    const crc = view.getUint32(p + 16, true)
    let compressedSize = view.getUint32(p + 20, true)
    let uncompressedSize = view.getUint32(p + 24, true)
    const nameLen = view.getUint16(p + 28, true)
    const extraLen = view.getUint16(p + 30, true)
    const commentLen = view.getUint16(p + 32, true)
    let localHeaderOffset = view.getUint32(p + 42, true)
    const next = p + 46 + nameLen + extraLen + commentLen
    if (next > end) fail(where, `central directory entry ${i} runs past the directory`)
    if (flags & 1) fail(where, 'encrypted entries are not supported')
    let name: string
    try {
      name = decoder.decode(data.subarray(p + 46, p + 46 + nameLen))
    } catch {
      return fail(where, `entry ${i} has a name that is not UTF-8`)
    }
    // zip64 extended information: present fields replace the 0xFFFFFFFF ones, in this order
    let x = p + 46 + nameLen
    const xEnd = x + extraLen
    while (x + 4 <= xEnd) {
      const id = view.getUint16(x, true)
      const len = view.getUint16(x + 2, true)
      if (x + 4 + len > xEnd) fail(where, `entry ${name}: extra field overruns`)
      if (id === 0x0001) {
        let f = x + 4
        const field = (): number => {
          if (f + 8 > x + 4 + len) fail(where, `entry ${name}: zip64 field too short`)
          const v = u64(view, f, where)
          f += 8
          return v
        }
        if (uncompressedSize === 0xffffffff) uncompressedSize = field()
        if (compressedSize === 0xffffffff) compressedSize = field()
        if (localHeaderOffset === 0xffffffff) localHeaderOffset = field()
      }
      x += 4 + len
    }
    if (method !== 0 && method !== 8) fail(where, `entry ${name} uses compression method ${method} (only stored and deflate)`)
    if (method === 0 && compressedSize !== uncompressedSize)
      fail(where, `stored entry ${name} declares ${compressedSize} ≠ ${uncompressedSize} bytes`)
    if (localHeaderOffset + 30 + compressedSize > cdOffset)
      fail(where, `entry ${name} (${compressedSize} bytes at ${localHeaderOffset}) lies outside the data area`)
    if (entries.has(name)) fail(where, `duplicate entry ${name}`)
    entries.set(name, { name, method, compressedSize, uncompressedSize, localHeaderOffset, crc32: crc })
    p = next
  }
  return entries
}

/** Tracks how much inflating has allocated, so a zip bomb cannot exceed the archive's size. */
export interface InflateBudget {
  left: number
}

/** The bytes of an entry (a view for stored entries, an inflated copy for deflated ones), CRC-checked. */
export function zipEntryBytes(data: Uint8Array, entry: ZipEntry, where: string, budget: InflateBudget): Uint8Array {
  const bytes = rawEntryBytes(data, entry, where, budget)
  checkEntryCrc(entry, bytes.length, crc32(bytes), where)
  return bytes
}

/**
 * The bytes of a stored entry without reading them: a view of `data` at the entry's data (the
 * caller checks its CRC-32 later, with `checkEntryCrc`, from the file itself).
 */
export function storedEntryView(data: Uint8Array, entry: ZipEntry, where: string): Uint8Array {
  if (entry.method !== 0) throw new Error(`${entry.name} is not a stored entry`)
  return rawEntryBytes(data, entry, where, { left: 0 })
}

/** Throws `checkpoint-corrupt` when an entry's bytes (`length` of them) have another CRC-32 than its record. */
export function checkEntryCrc(entry: ZipEntry, length: number, actual: number, where: string): void {
  if (actual !== entry.crc32) {
    throw new WorkbenchError(
      'checkpoint-corrupt',
      `${where}: entry ${entry.name} is damaged: its ${length} bytes have CRC-32 ${hex(actual)}, the archive records ${hex(entry.crc32)} (re-download or re-save the checkpoint)`,
    )
  }
}

const hex = (n: number): string => n.toString(16).padStart(8, '0')

function rawEntryBytes(data: Uint8Array, entry: ZipEntry, where: string, budget: InflateBudget): Uint8Array {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength)
  const h = entry.localHeaderOffset
  if (h + 30 > data.length || view.getUint32(h, true) !== SIG_LOCAL) fail(where, `local header of ${entry.name} is missing`)
  const start = h + 30 + view.getUint16(h + 26, true) + view.getUint16(h + 28, true)
  const end = start + entry.compressedSize
  if (end > data.length)
    fail(where, `entry ${entry.name} (${entry.compressedSize} bytes at ${start}) runs past the end of the file (${data.length} bytes)`)
  const raw = data.subarray(start, end)
  if (entry.method === 0) return raw
  if (entry.uncompressedSize > budget.left)
    fail(where, `deflated entry ${entry.name} declares ${entry.uncompressedSize} bytes, more than the archive's own size allows`)
  budget.left -= entry.uncompressedSize
  let out: Uint8Array
  try {
    out = inflateSync(raw, { out: new Uint8Array(entry.uncompressedSize) })
  } catch (e) {
    return fail(where, `entry ${entry.name} does not inflate: ${e instanceof Error ? e.message : String(e)}`)
  }
  if (out.length !== entry.uncompressedSize)
    fail(where, `entry ${entry.name} inflates to ${out.length} bytes, not the declared ${entry.uncompressedSize}`)
  return out
}
