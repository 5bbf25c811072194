/**
 * One typed error for the whole workbench. Inside a process we throw WorkbenchError; across a
 * process boundary (IPC, HTTP, worker, CLI) it travels as the plain `ErrorInfo` of a `Result`.
 */
export const ERROR_CODES = [
  'bad-request', // a request or argument failed validation
  'not-found', // a file, experiment, run or token that does not exist
  'checkpoint-missing', // no checkpoint given and none bundled
  'checkpoint-format', // a checkpoint file is malformed (zip, pickle, safetensors header)
  'checkpoint-forbidden', // the pickle asks for a global outside the allowlist
  'checkpoint-shape', // a tensor is missing or has the wrong shape/dtype
  'checkpoint-config', // config.json is missing keys or is not a Backpack-GPT2 config
  'checkpoint-corrupt', // a checkpoint file's bytes do not match its own checksum (torch zip CRC-32)
  'checkpoint-values', // NaN/Inf weights, or finite weights whose probe forward pass overflows float32
  'onnx-model', // a ready ONNX export does not match the tensor catalog
  'runtime', // onnxruntime failed
  'provider-unavailable', // an execution provider was asked for and cannot run here
  'too-long', // more tokens than n_positions
  'cancelled',
  'edit-invalid', // a sense-edit document failed validation
  'store-corrupt', // the experiment database is not a usable SQLite file, or its tables were altered
  'store-version', // the database was written by a newer app
  'store-foreign', // the database is another program's, not an experiment log (left untouched)
  'store-io', // disk full, read-only location, locked past the retry budget
  'bundle-invalid', // an experiment bundle failed validation
  'hub', // Hugging Face download failed
  'hub-offline', // offline mode and the file is not cached
  'hub-integrity', // downloaded bytes do not match the announced hash
  'unavailable', // the backend for this method is not part of this build yet, or no model is loaded
  'unauthorized', // serve: a request without the session token; a sweep queue that refuses the Redis credentials
  'queue', // a sweep queue's Redis is unreachable or was lost
  'checkpoint-mismatch', // a sweep job names a checkpoint (content hash) other than the one its worker serves
  'internal',
] as const

export type ErrorCode = (typeof ERROR_CODES)[number]

export interface ErrorInfo {
  code: ErrorCode
  message: string
}

export class WorkbenchError extends Error {
  readonly code: ErrorCode
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'WorkbenchError'
    this.code = code
  }

  toInfo(): ErrorInfo {
    return { code: this.code, message: this.message }
  }
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: ErrorInfo }

export function ok<T>(value: T): Result<T> {
  return { ok: true, value }
}

/** Converts anything thrown into the plain error shape that may cross a process boundary. */
export function toErrorInfo(e: unknown): ErrorInfo {
  if (e instanceof WorkbenchError) return e.toInfo()
  if (isErrorInfo(e)) return { code: e.code, message: e.message }
  const message = e instanceof Error ? e.message : String(e)
  return { code: 'internal', message }
}

export function isErrorInfo(e: unknown): e is ErrorInfo {
  return (
    typeof e === 'object' &&
    e !== null &&
    typeof (e as ErrorInfo).message === 'string' &&
    (ERROR_CODES as readonly string[]).includes((e as ErrorInfo).code)
  )
}

/** Runs `fn` and returns its value or its error as a Result; never throws. */
export async function toResult<T>(fn: () => Promise<T> | T): Promise<Result<T>> {
  try {
    return { ok: true, value: await fn() }
  } catch (e) {
    return { ok: false, error: toErrorInfo(e) }
  }
}
