import { closeSync, openSync, readFileSync, writeSync } from 'node:fs'
import { WorkbenchError } from '../../shared/errors'

/**
 * NumPy .npy, little-endian, C order: what `forward` writes and the golden fixtures hold (float32),
 * and a run's arrays for notebooks (float32, float64, int32, uint8; written as v1.0). Reading takes
 * v1/v2/v3 float32, and float64 (converted) so numpy defaults can be compared.
 */
export interface NpyArray {
  shape: number[]
  data: Float32Array
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59] // \x93NUMPY

/** Typed arrays .npy files are written from (little-endian, as numpy's '<f4', '<f8', '<i4', '|u1'). */
export type NpyData = Float32Array | Float64Array | Int32Array | Uint8Array

function descrOf(data: NpyData): string {
  if (data instanceof Float32Array) return '<f4'
  if (data instanceof Float64Array) return '<f8'
  if (data instanceof Int32Array) return '<i4'
  return '|u1'
}

/** The .npy v1.0 preamble (magic, version, header padded to 64 bytes, as numpy does) for an array. */
function npyHeader(shape: readonly number[], data: NpyData): Uint8Array {
  const count = shape.reduce((a, b) => a * b, 1)
  if (count !== data.length)
    throw new WorkbenchError('bad-request', `npy: shape [${shape.join(', ')}] holds ${count} values, data has ${data.length}`)
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`
  let header = `{'descr': '${descrOf(data)}', 'fortran_order': False, 'shape': ${shapeText}, }`
  const unpadded = 10 + header.length + 1
  header += ' '.repeat((64 - (unpadded % 64)) % 64) + '\n'
  const out = new Uint8Array(10 + header.length)
  out.set(MAGIC, 0)
  out[6] = 1
  out[7] = 0
  new DataView(out.buffer).setUint16(8, header.length, true)
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i)
  return out
}

/** Encodes an array (float32, float64, int32 or uint8) as .npy v1.0 bytes. */
export function encodeNpy(shape: readonly number[], data: NpyData): Uint8Array {
  const header = npyHeader(shape, data)
  const out = new Uint8Array(header.length + data.byteLength)
  out.set(header, 0)
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), header.length)
  return out
}

/** Writes a float32 array as a .npy file: the preamble, then the array's own bytes (no copy of the data). */
export function writeNpy(path: string, shape: readonly number[], data: Float32Array): void {
  const header = npyHeader(shape, data)
  const fd = openSync(path, 'w')
  try {
    writeAll(fd, header)
    writeAll(fd, new Uint8Array(data.buffer, data.byteOffset, data.byteLength))
  } finally {
    closeSync(fd)
  }
}

function writeAll(fd: number, bytes: Uint8Array): void {
  for (let done = 0; done < bytes.length;) done += writeSync(fd, bytes, done, bytes.length - done)
}

/** Decodes .npy bytes of dtype <f4 or <f8 (C order) into float32. */
export function decodeNpy(bytes: Uint8Array, where = 'npy'): NpyArray {
  const bad = (why: string) => new WorkbenchError('bad-request', `${where}: ${why}`)
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) throw bad('not a .npy file (bad magic)')
  const major = bytes[6]
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  let headerLen: number
  let start: number
  if (major === 1) {
    headerLen = view.getUint16(8, true)
    start = 10
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) throw bad('truncated header')
    headerLen = view.getUint32(8, true)
    start = 12
  } else throw bad(`unsupported .npy version ${major}`)
  if (start + headerLen > bytes.length) throw bad('header runs past the end of the file')
  const header = new TextDecoder().decode(bytes.subarray(start, start + headerLen))
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1]
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1]
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1]
  if (!descr || !fortran || shapeText === undefined) throw bad(`unreadable header ${JSON.stringify(header.trim())}`)
  if (fortran === 'True') throw bad('fortran_order arrays are not supported')
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map(Number)
  if (shape.some((n) => !Number.isInteger(n) || n < 0)) throw bad(`bad shape (${shapeText})`)
  const count = shape.reduce((a, b) => a * b, 1)
  const offset = start + headerLen
  const itemSize = descr === '<f4' ? 4 : descr === '<f8' ? 8 : 0
  if (!itemSize) throw bad(`dtype ${descr} is not supported (only <f4, <f8)`)
  if (bytes.length - offset !== count * itemSize) throw bad(`data holds ${bytes.length - offset} bytes, shape needs ${count * itemSize}`)
  const data = new Float32Array(count)
  const body = new DataView(bytes.buffer, bytes.byteOffset + offset, count * itemSize)
  if (itemSize === 4) for (let i = 0; i < count; i++) data[i] = body.getFloat32(i * 4, true)
  else for (let i = 0; i < count; i++) data[i] = body.getFloat64(i * 8, true)
  return { shape, data }
}

export function readNpy(path: string): NpyArray {
  return decodeNpy(readFileSync(path), path)
}
