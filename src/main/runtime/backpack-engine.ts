import type { BackpackConfig } from '../../shared/model/config'
import type { EngineCalls, WorkerOnlyMethod } from './engine-methods'

/**
 * The contract between the runtime (ONNX sessions in a worker) and everything that uses the
 * model: senses, attribution, interventions, generation, suites, the CLI and the UI.
 * All arrays are row-major float32 without a batch dimension; shapes are in the comments.
 */
export interface ProviderInfo {
  /** execution provider actually running the sessions, e.g. 'cpu', 'cuda', 'webgpu' */
  name: string
  /** what was asked for ('auto' or a provider name) */
  requested: string
  /** providers this onnxruntime-node build offers here */
  available: string[]
  /** why the provider in use is not the preferred GPU one, when it is not */
  reason?: string
}

export interface ForwardOutputs {
  logits: Float32Array // (pos, vocab) — or (n_query, vocab) when positions were selected
  senses: Float32Array // (sense, pos, d_model) — HF layout, after any sense edits
  contextualization: Float32Array // (sense, pos, pos)
  timingsMs: Record<string, number>
}

/** Incremental decoding state: GPT-2 keys/values and weight-net keys of the tokens so far. */
export interface ContextDecoder {
  /** number of positions consumed so far */
  readonly length: number
  /**
   * Feeds new tokens (the whole prompt first, then one at a time) and returns the α rows of
   * the new positions over all positions so far: (sense, n_new, length_after).
   */
  append(ids: readonly number[], options?: { senses?: Float32Array }): Promise<Float32Array>
  /**
   * Logits of query rows over all positions so far, as `combine` but from the senses kept in the
   * decoder: every append must pass the senses of its tokens (options.senses, (n_new, sense,
   * d_model), e.g. after vector edits). alphaRows: (sense, nQuery, length) (nQuery default 1);
   * senseScale: (sense, length). Returns (nQuery, vocab).
   */
  combine(alphaRows: Float32Array, nQuery?: number, senseScale?: Float32Array): Promise<Float32Array>
  /** Keeps only the first `length` positions (drops later tokens, e.g. rejected draft tokens). */
  truncate(length: number): Promise<void>
  dispose(): void
}

/**
 * Per-request options (additive, optional on every model call): aborting rejects the request
 * with a `cancelled` WorkbenchError — at once when it is still queued; when it is already
 * running, its result is discarded.
 */
export interface RequestOptions {
  signal?: AbortSignal
  /** stage reports of long requests (forward: senses → contextualize → combine) */
  onProgress?: (p: EngineProgress) => void
}

/** `forward`'s options: the query positions (default all), and the per-call RequestOptions. */
export interface ForwardOptions extends RequestOptions {
  positions?: number[]
}

/** A progress report: `fraction` in [0, 1] of the whole request. */
export interface EngineProgress {
  phase: string
  fraction: number
  message: string
  /** named figures of a long request's step (fine-tuning: each epoch's losses) */
  figures?: Record<string, number>
}

/**
 * The model as its users see it: the methods of the engine table (engine-methods.ts, where each is
 * declared and documented) except the worker's handles and diagnostics, plus what opening told.
 * `projectRanked` and `senseHalves` are optional: the worker engine has them (math/shared-ranking.ts,
 * runtime/sense-halves.ts).
 */
export interface BackpackEngine extends Omit<EngineCalls, WorkerOnlyMethod>, Partial<Pick<EngineCalls, 'projectRanked' | 'senseHalves'>> {
  readonly config: BackpackConfig
  /** sha256 of the checkpoint's tensor content (hex) — the cache key and the experiment stamp */
  readonly contentHash: string
  readonly provider: ProviderInfo

  /** Incremental α for generation; equal to `contextualize` on the concatenated ids. */
  createDecoder(): Promise<ContextDecoder>

  dispose(): Promise<void>
}
