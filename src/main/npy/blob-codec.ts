import { WorkbenchError } from '../../shared/errors'
import type { BlobArray, BlobDtype, RunBlob } from '../../shared/store/experiment-types'

/**
 * Run blobs are stored as the raw little-endian bytes of their typed array (a 50k-entry float32
 * distribution is 200 kB, not ~1 MB of JSON text), with dtype and shape beside them.
 */
const CTORS = {
  float32: Float32Array,
  float64: Float64Array,
  int32: Int32Array,
  uint8: Uint8Array,
} as const

export const BLOB_DTYPES = Object.keys(CTORS) as BlobDtype[]

export function dtypeOf(data: BlobArray): BlobDtype {
  if (data instanceof Float32Array) return 'float32'
  if (data instanceof Float64Array) return 'float64'
  if (data instanceof Int32Array) return 'int32'
  if (data instanceof Uint8Array) return 'uint8'
  throw new WorkbenchError('bad-request', 'run blobs must be Float32Array, Float64Array, Int32Array or Uint8Array')
}

/** Checks a blob's dtype, shape and length agree. */
export function checkBlob(name: string, blob: RunBlob): void {
  if (!BLOB_DTYPES.includes(blob.dtype) || dtypeOf(blob.data) !== blob.dtype) {
    throw new WorkbenchError(
      'bad-request',
      `run blob "${name}" has dtype ${JSON.stringify(blob.dtype)} but holds ${blob.data?.constructor?.name}; allowed dtypes: ${BLOB_DTYPES.join(', ')}`,
    )
  }
  if (!Array.isArray(blob.shape) || blob.shape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new WorkbenchError('bad-request', `run blob "${name}" shape must be a list of non-negative integers`)
  }
  const n = blob.shape.reduce((a, b) => a * b, 1)
  if (n !== blob.data.length)
    throw new WorkbenchError('bad-request', `run blob "${name}" has shape [${blob.shape}] (${n} values) but ${blob.data.length} values`)
}

/** Little-endian bytes of a typed array (a copy, so later changes to the array do not leak). */
export function blobToBuffer(data: BlobArray): Buffer {
  if (!isLittleEndian) throw new WorkbenchError('internal', 'big-endian hosts are not supported by the experiment store')
  return Buffer.from(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength))
}

export function bufferToBlob(dtype: BlobDtype, bytes: Uint8Array, what: string): BlobArray {
  const Ctor = CTORS[dtype]
  if (!Ctor) throw new WorkbenchError('bad-request', `${what}: unknown dtype ${JSON.stringify(dtype)}; allowed: ${BLOB_DTYPES.join(', ')}`)
  if (bytes.byteLength % Ctor.BYTES_PER_ELEMENT !== 0) {
    throw new WorkbenchError('bad-request', `${what}: ${bytes.byteLength} bytes is not a whole number of ${dtype} values`)
  }
  const copy = new Uint8Array(bytes) // aligned, owned
  return new Ctor(copy.buffer, 0, copy.byteLength / Ctor.BYTES_PER_ELEMENT)
}

const isLittleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1
