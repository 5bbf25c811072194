import type { FinetuneJob } from '../finetune/finetune-job'
import { projectIntoShared, type ProjectRankArgs } from '../math/shared-ranking'
import type { AuxSessions } from './aux-sessions'
import type { EngineProgress, ForwardOptions, RequestOptions } from './backpack-engine'
import type { EngineCore } from './engine-core'
import type { BackendInfo } from './ort'

/**
 * What a method of the engine table gets besides its arguments, in the worker: the model's
 * sessions (`core`, throws when no model is open), the helper sessions, the request's
 * cancellation signal and a progress reporter.
 */
export interface CallContext {
  core(): EngineCore
  readonly aux: AuxSessions
  readonly signal: AbortSignal
  progress(p: EngineProgress): void
  /** the onnxruntime build in the worker */
  readonly ort: { version(): string; backends(): BackendInfo[] }
}

export interface CombineArgs {
  senses: Float32Array // (sense, pos, d_model)
  alphaRows: Float32Array // (sense, n_query, pos)
  nQuery: number
  senseScale?: Float32Array // (sense, pos)
}

export interface EngineStats {
  /** token ids run through the sense network since open (sense-cache misses) */
  sensesComputed: number
  senseCacheSize: number
  decoders: number
}

/**
 * The engine's methods, each declared once: the worker dispatches requests to these functions
 * (engine-worker.ts), and the calling thread's proxy has one method per entry with the same
 * parameters plus optional per-call `RequestOptions` (worker-engine.ts). Adding a method is one
 * entry here plus its implementation in the worker (EngineCore or AuxSessions).
 *
 * Arguments and results cross the thread boundary by structured clone (result arrays are
 * transferred). The proxy lifts `signal` and `onProgress` out of a trailing plain-object argument
 * and drops it when nothing else is left, so a trailing options parameter must tolerate being
 * absent. This module is loaded on both sides: it imports no onnxruntime code, only types.
 */
export const engineMethods = {
  /** Sense vectors C(x) of token ids, no position information: (n, sense, d_model). Cached by id in the worker. */
  senseVectors: (c: CallContext, ids: readonly number[]) => c.core().senseVectors(ids),
  /**
   * Sense vectors of ids as the fp16 sense table stores them, written into `into` — a
   * Uint16Array over a SharedArrayBuffer, (n, sense, d_model) fp16 bits rounded to nearest even
   * from the fp32 vectors; returns the norms of the fp32 vectors (n, sense). No sense cache. For
   * vocabulary sweeps (the sense table build); cancellable.
   */
  senseHalves: (c: CallContext, ids: readonly number[], into: Uint16Array) => c.aux.senseHalves.run(c.core(), ids, into, c.signal),
  /** α for a prompt: (sense, pos, pos), rows sum to 1 over j ≤ i, zeros above the diagonal. */
  contextualize: (c: CallContext, ids: readonly number[]) => c.core().contextualize(ids),
  /**
   * logits[q] = E · Σ_ℓ Σ_j alphaRows[ℓ, q, j] · scale[ℓ, j] · senses[ℓ, j]: (n_query, vocab).
   * senses (sense, pos, d_model); alphaRows (sense, n_query, pos); senseScale (sense, pos), default 1.
   */
  combine: (c: CallContext, a: CombineArgs) => c.core().combine(a.senses, a.alphaRows, a.nQuery, a.senseScale),
  /** Scores of vectors over the vocabulary, E·v: (n, d_model) → (n, vocab). */
  project: (c: CallContext, vectors: Float32Array, n: number) => c.core().project(vectors, n),
  /** `project` into a shared buffer, then rank some rows in the worker while the caller ranks the others (math/shared-ranking.ts). */
  projectRanked: (c: CallContext, a: ProjectRankArgs) => projectIntoShared((vectors, n) => c.core().project(vectors, n), a),
  /** Rows of the (tied) embedding matrix E: (n, d_model). */
  embeddingRows: (c: CallContext, ids: readonly number[]) => c.core().embeddingRows(ids),
  /** The full pass, as HF computes it (no edits): logits for all positions or the selected ones; progress per stage. */
  forward: (c: CallContext, ids: readonly number[], options: ForwardOptions = {}) =>
    c.core().forward(ids, options.positions, (p) => c.progress(p)),
  /** out = base + W·P: base (n, vocab), W (n, r), P (r, vocab) → (n, vocab), one Gemm (the re-base of a re-run after edits). */
  addWeightedRows: (c: CallContext, base: Float32Array, weights: Float32Array, rows: Float32Array, n: number, r: number, vocab: number) =>
    c.aux.weightedRows.run(base, weights, rows, n, r, vocab),
  /**
   * max_v and min_v of E·h over the whole vocabulary for each of n rows h (n, d_model), blocks
   * reduced inside onnxruntime; progress per block (fraction of the rows), cancellable between blocks.
   */
  scoreExtremes: async (c: CallContext, rows: Float32Array, n: number) => {
    const extremes = await c.aux.extremes(c.core())
    return extremes.run(rows, n, {
      signal: c.signal,
      onBlock: (done) => c.progress({ phase: 'score-extremes', fraction: n > 0 ? done / n : 1, message: `${done}/${n} rows` }),
    })
  },
  /** Opens an int8 scoring session from a model file (see AuxSessions.openInt8); returns its handle. */
  openInt8Scores: (c: CallContext, modelPath: string) => c.aux.openInt8(modelPath),
  /** MatMulInteger of a (d) uint8 query with the session's constant (d, rows) int8 matrix: (rows) int32. */
  int8Scores: (c: CallContext, handle: number, query: Uint8Array) => c.aux.int8Scores(handle, query),
  closeInt8Scores: (c: CallContext, handle: number) => {
    c.aux.closeInt8(handle)
    return null
  },
  /** A new incremental decoder (GPT-2 keys/values and weight-net keys); returns its handle. */
  decoderCreate: (c: CallContext) => c.core().createDecoder(),
  /** α rows of the new positions over all positions so far: (sense, n_new, length_after). */
  decoderAppend: (c: CallContext, decoder: number, ids: readonly number[], senses?: Float32Array) =>
    c.core().decoderAppend(decoder, ids, senses),
  decoderCombine: (c: CallContext, decoder: number, alphaRows: Float32Array, nQuery: number, senseScale?: Float32Array) =>
    c.core().decoderCombine(decoder, alphaRows, nQuery, senseScale),
  decoderTruncate: (c: CallContext, decoder: number, length: number) => c.core().decoderTruncate(decoder, length),
  decoderDispose: (c: CallContext, decoder: number) => {
    c.core().disposeDecoder(decoder)
    return null
  },
  /**
   * A whole sense fine-tuning run (finetune/finetune-job.ts) on the worker's sessions: training
   * never runs on the calling thread; cancellable mid-epoch; each epoch's figures arrive as a
   * progress report carrying `figures`. Loaded on first use: this table is also read by the
   * calling thread's proxy, which must not load the training code to start.
   */
  finetune: async (c: CallContext, job: FinetuneJob) => (await import('../finetune/finetune-in-worker')).finetuneInWorker(c, job),
  /** Counters for tests and diagnostics (sense-cache misses, live decoders). */
  stats: (c: CallContext): EngineStats => c.core().stats(),
  /** The onnxruntime version and execution providers of the worker's build (no model needed). */
  runtimeInfo: (c: CallContext) => ({ onnxruntime: c.ort.version(), backends: c.ort.backends() }),
}

export type EngineMethodTable = typeof engineMethods
export type EngineMethod = keyof EngineMethodTable

/** The calling thread's signature of a table entry: the same parameters, optional RequestOptions, a promise. */
export type EngineCall<H> = H extends (c: CallContext, ...args: infer A) => infer R
  ? (...args: [...A, RequestOptions?]) => Promise<Awaited<R>>
  : never

/** Every method of the table as the proxy offers it. */
export type EngineCalls = { [M in EngineMethod]: EngineCall<EngineMethodTable[M]> }

/** Methods the proxy has but the model contract (`BackpackEngine`) leaves out: handles, helpers of the worker, diagnostics. */
export type WorkerOnlyMethod =
  | 'projectRanked'
  | 'senseHalves'
  | 'openInt8Scores'
  | 'int8Scores'
  | 'closeInt8Scores'
  | `decoder${string}`
  | 'stats'
  | 'runtimeInfo'
  | 'finetune'
