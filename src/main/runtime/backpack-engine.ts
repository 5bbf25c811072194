import type { BackpackConfig } from '../../shared/model/config'
import type { RankedScores } from '../senses/rank-scores'
import type { ProjectRankArgs } from '../senses/shared-ranking'

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

/** A progress report: `fraction` in [0, 1] of the whole request. */
export interface EngineProgress {
  phase: string
  fraction: number
  message: string
}

export interface BackpackEngine {
  readonly config: BackpackConfig
  /** sha256 of the checkpoint's tensor content (hex) — the cache key and the experiment stamp */
  readonly contentHash: string
  readonly provider: ProviderInfo

  /** Sense vectors C(x) of token ids, no position information: (n, sense, d_model). Cached by id. */
  senseVectors(tokenIds: readonly number[], options?: RequestOptions): Promise<Float32Array>

  /** α for a prompt: (sense, pos, pos), rows sum to 1 over j ≤ i, zeros above the diagonal. */
  contextualize(ids: readonly number[], options?: RequestOptions): Promise<Float32Array>

  /** Incremental α for generation; equal to `contextualize` on the concatenated ids. */
  createDecoder(): Promise<ContextDecoder>

  /**
   * logits[q] = E · Σ_ℓ Σ_j alphaRows[ℓ, q, j] · scale[ℓ, j] · senses[ℓ, j]: (n_query, vocab).
   * senses (sense, pos, d_model); alphaRows (sense, n_query, pos); senseScale (sense, pos), default 1.
   */
  combine(args: { senses: Float32Array; alphaRows: Float32Array; nQuery: number; senseScale?: Float32Array }, options?: RequestOptions): Promise<Float32Array>

  /** Scores of vectors over the vocabulary, E·v: (n, d_model) → (n, vocab). */
  project(vectors: Float32Array, n: number, options?: RequestOptions): Promise<Float32Array>

  /**
   * Optional (the worker engine has it): `project` into a shared buffer, then rank some rows in
   * the engine's thread while the caller ranks the others (senses/shared-ranking.ts).
   */
  projectRanked?(args: ProjectRankArgs, options?: RequestOptions): Promise<RankedScores[]>

  /** Rows of the (tied) embedding matrix E: (n, d_model). */
  embeddingRows(ids: readonly number[]): Promise<Float32Array>

  /** The full pass, as HF computes it (no edits): logits for all positions or the selected ones. */
  forward(ids: readonly number[], options?: { positions?: number[] } & RequestOptions): Promise<ForwardOutputs>

  dispose(): Promise<void>
}
