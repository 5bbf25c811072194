import { WorkbenchError } from '../../shared/errors'
import type { BlobArray, BlobDtype, NewRun, RunBlob } from '../../shared/store/experiment-types'

/**
 * A worker's finished run as it travels through Redis (BullMQ stores a job's result as JSON):
 * blobs as base64 of their bytes, and the numbers JSON has no word for (a padding id's -Infinity
 * log-prob, a NaN) as `{"$nonfinite": "…"}`, so the run the submitter records equals the one the
 * worker made, value for value.
 */
export type TravellingRun = Omit<NewRun, 'edits'>

const ARRAYS: Record<BlobDtype, { new (b: ArrayBuffer): BlobArray }> = {
  float32: Float32Array,
  float64: Float64Array,
  int32: Int32Array,
  uint8: Uint8Array,
}

export function encodeRun(run: TravellingRun): string {
  const blobs: Record<string, { dtype: BlobDtype; shape: number[]; base64: string }> = {}
  for (const [name, b] of Object.entries(run.blobs ?? {})) {
    blobs[name] = {
      dtype: b.dtype,
      shape: b.shape,
      base64: Buffer.from(b.data.buffer, b.data.byteOffset, b.data.byteLength).toString('base64'),
    }
  }
  return encodeValue({ ...run, blobs })
}

/** Any JSON-like value with its non-finite numbers tagged (a split job's answer). */
export function encodeValue(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? { $nonfinite: String(v) } : v))
}

export function decodeValue(text: string): unknown {
  return JSON.parse(text, (_key, v: unknown) => (isNonFinite(v) ? Number(v.$nonfinite) : v))
}

export function decodeRun(text: unknown): TravellingRun {
  if (typeof text !== 'string')
    throw new WorkbenchError('queue', 'a sweep job finished without a run in its result (a worker of another version?)')
  let raw: TravellingRun & { blobs: Record<string, { dtype: BlobDtype; shape: number[]; base64: string }> }
  try {
    raw = decodeValue(text) as typeof raw
  } catch (e) {
    throw new WorkbenchError('queue', `a sweep job's result is not a run: ${(e as Error).message}`, { cause: e })
  }
  if (!raw || typeof raw !== 'object' || typeof raw.kind !== 'string')
    throw new WorkbenchError('queue', "a sweep job's result is not a run (no kind)")
  const blobs: Record<string, RunBlob> = {}
  for (const [name, b] of Object.entries(raw.blobs ?? {})) {
    const Ctor = ARRAYS[b.dtype]
    if (!Ctor || typeof b.base64 !== 'string')
      throw new WorkbenchError('queue', `a sweep job's result has a malformed blob ${JSON.stringify(name)}`)
    const bytes = Buffer.from(b.base64, 'base64')
    blobs[name] = {
      dtype: b.dtype,
      shape: b.shape,
      data: new Ctor(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer),
    }
  }
  return { ...raw, blobs }
}

function isNonFinite(v: unknown): v is { $nonfinite: string } {
  return (
    typeof v === 'object' && v !== null && Object.keys(v).length === 1 && typeof (v as { $nonfinite?: unknown }).$nonfinite === 'string'
  )
}
