import { WorkbenchError } from '../../shared/errors'

/**
 * A tensor as found in a checkpoint file, before decoding: its dtype, shape and the exact bytes
 * (a view into the file buffer, contiguous, little-endian). Every format reader produces these.
 */
export type DType = 'F32' | 'F16' | 'BF16' | 'F64' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL'

export const DTYPE_SIZE: Record<DType, number> = {
  F32: 4,
  F16: 2,
  BF16: 2,
  F64: 8,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
}

/** Weight dtypes the workbench reads (widened to fp32). */
export const FLOAT_DTYPES: readonly DType[] = ['F32', 'F16', 'BF16']

export interface RawTensor {
  name: string
  dtype: DType
  shape: number[]
  bytes: Uint8Array // exactly numel·size bytes
  /** Same identity ⇒ same bytes (a shared torch storage at the same offset and shape). */
  identity: string
  /** Which file it came from, for error messages. */
  file: string
}

/** Product of the dims, refusing anything that is not a small non-negative integer list. */
export function numelOf(shape: readonly unknown[], where: string): number {
  if (shape.length > 8) throw new WorkbenchError('checkpoint-format', `${where}: ${shape.length} dimensions (at most 8 allowed)`)
  let n = 1
  for (const dim of shape) {
    if (typeof dim !== 'number' || !Number.isSafeInteger(dim) || dim < 0) {
      throw new WorkbenchError(
        'checkpoint-format',
        `${where}: shape ${JSON.stringify(shape)} has a dimension that is not a non-negative integer`,
      )
    }
    n *= dim
    if (n > Number.MAX_SAFE_INTEGER / 8)
      throw new WorkbenchError('checkpoint-format', `${where}: shape ${JSON.stringify(shape)} is too large`)
  }
  return n
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1
  const exp = (h >> 10) & 0x1f
  const frac = h & 0x3ff
  if (exp === 0) return sign * frac * 2 ** -24
  if (exp === 31) return frac ? NaN : sign * Infinity
  return sign * (1 + frac / 1024) * 2 ** (exp - 15)
}

let halfTable: Float32Array | undefined

/**
 * Decodes a float tensor to fp32. F32 data aligned to 4 bytes is returned as a view of the file
 * buffer (no copy); misaligned F32 is copied; F16 and BF16 are widened exactly.
 */
export function decodeToFloat32(t: RawTensor): Float32Array {
  const n = t.bytes.byteLength / DTYPE_SIZE[t.dtype]
  const b = t.bytes
  switch (t.dtype) {
    case 'F32': {
      if (b.byteOffset % 4 === 0) return new Float32Array(b.buffer, b.byteOffset, n)
      const out = new Float32Array(n)
      new Uint8Array(out.buffer).set(b)
      return out
    }
    case 'F16': {
      halfTable ??= Float32Array.from({ length: 65536 }, (_, i) => halfToFloat(i))
      const table = halfTable
      const out = new Float32Array(n)
      for (let i = 0; i < n; i++) out[i] = table[b[2 * i] | (b[2 * i + 1] << 8)]
      return out
    }
    case 'BF16': {
      // bf16 is the top half of an fp32: shift the 16 bits up
      const out = new Float32Array(n)
      const u = new Uint32Array(out.buffer)
      for (let i = 0; i < n; i++) u[i] = ((b[2 * i] | (b[2 * i + 1] << 8)) << 16) >>> 0
      return out
    }
    default:
      throw new WorkbenchError(
        'checkpoint-shape',
        `tensor ${t.name} in ${t.file} has dtype ${t.dtype}; weights must be one of ${FLOAT_DTYPES.join(', ')}`,
      )
  }
}
