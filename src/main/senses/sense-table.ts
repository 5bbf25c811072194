import { join } from 'node:path'
import { WorkbenchError } from '../../shared/errors'
import type { BackpackEngine } from '../runtime/backpack-engine'
import { cacheDir } from '../paths/app-paths'
import { HALF_TO_FLOAT } from './float16'
import { insertBestFirst } from '../math/top-k'
import type { LockHolder } from '../fs/file-lock'
import type { Int8SenseIndex } from './int8-index'
import { buildOrLoad, type StoredTable } from './sense-table-store'

/**
 * The whole-vocabulary sense table of one checkpoint: every token's K sense vectors (fp16 or
 * fp32), their norms, and — in a second, optional phase — the max and min of each sense's score
 * vector E·C(x)_ℓ over the whole vocabulary (needed by topic control, backpack-spec.md §4.3):
 * exact fp32 (the lm_head's Gemm on the exact sense vectors, reduced inside onnxruntime by
 * `engine.scoreExtremes` in the engine worker; ~5–6 min of the 2-core box at full size, once per checkpoint). The max is over
 * all vocab columns, padding ids included (the authors take max over the full score vector); rows
 * of every token are filled, and topic-weights.ts zeroes the scores of ids ≥ 50256 as §4.3 says.
 * Built once in chunks of tokens, cancellable, resumable, cached on disk under
 * `cacheDir()/senses/<contentHash>/`:
 *   manifest.json   sizes, precision, chunk size
 *   senses.bin      (vocab, sense, d_model) fp16 or fp32, little-endian
 *   stats.bin       (3, vocab, sense) float32: norm, max score, min score
 *   progress.bin    one byte per chunk: bit 0 senses written, bit 1 scores written
 *   build.lock      while a process builds or resumes the table (see src/main/fs/file-lock.ts)
 * Processes share the folder (the app, CLI runs, benchmarks): building takes the folder's lock,
 * and a process that finds it held by a live process waits — reporting the holder's progress as
 * read from progress.bin, cancellable by its signal — then re-reads the folder, usually finding
 * the table done. A table already complete for the request is read without the lock (and
 * checked again after reading: manifest and progress unchanged, else the locked path).
 */
export interface SenseTableProgress {
  phase: 'senses' | 'scores'
  done: number // tokens
  total: number
  /** set while waiting for another process that holds the folder's lock: `done` is its progress on disk */
  heldBy?: LockHolder
}

export interface OpenSenseTableOptions {
  /** 'scores' also computes max/min of every E·C(x)_ℓ (one pass that also fills missing senses; minutes at full size) */
  need?: 'senses' | 'scores'
  /** storage of the sense vectors; default fp32 up to 512 MB, else fp16 */
  precision?: 'f16' | 'f32'
  dir?: string
  chunkTokens?: number
  signal?: AbortSignal
  onProgress?: (p: SenseTableProgress) => void
}

export class SenseTable {
  readonly vocabSize: number
  readonly numSenses: number
  readonly dModel: number
  readonly precision: 'f16' | 'f32'
  readonly dir: string
  /** the text of the manifest.json this table was built or read under (stamps the int8 index) */
  readonly stamp: string
  /** (vocab, sense) */
  readonly norms: Float32Array
  readonly maxScore: Float32Array
  readonly minScore: Float32Array
  readonly #data: Uint16Array | Float32Array // (vocab, sense, d_model)
  /** the table's int8 index once asked for (see int8Index in int8-index.ts): kept with the table */
  int8?: Promise<Int8SenseIndex>

  constructor(args: {
    vocabSize: number
    numSenses: number
    dModel: number
    precision: 'f16' | 'f32'
    dir: string
    data: Uint16Array | Float32Array
    stats: Float32Array
    stamp?: string
  }) {
    this.vocabSize = args.vocabSize
    this.numSenses = args.numSenses
    this.dModel = args.dModel
    this.precision = args.precision
    this.dir = args.dir
    this.stamp = args.stamp ?? ''
    this.#data = args.data
    const n = args.vocabSize * args.numSenses
    this.norms = args.stats.subarray(0, n)
    this.maxScore = args.stats.subarray(n, 2 * n)
    this.minScore = args.stats.subarray(2 * n, 3 * n)
  }

  /** C(token)_sense decoded to float32, (d_model). */
  sense(token: number, sense: number): Float32Array {
    const off = (token * this.numSenses + sense) * this.dModel
    const d = this.#data
    if (d instanceof Float32Array) return d.slice(off, off + this.dModel)
    const out = new Float32Array(this.dModel)
    for (let c = 0; c < this.dModel; c++) out[c] = HALF_TO_FLOAT[d[off + c]]
    return out
  }

  /** vec · C(x)_ℓ for every (x, ℓ) with x < tokens: (vocab, sense); rows ≥ tokens are 0. */
  dotAll(vec: Float32Array, tokens = this.vocabSize): Float32Array {
    const out = new Float32Array(this.vocabSize * this.numSenses)
    const rows = Math.min(tokens, this.vocabSize) * this.numSenses
    for (let r = 0; r < rows; r++) out[r] = this.#rowDot(r, vec)
    return out
  }

  /**
   * vec · C(x)_ℓ for every row (x·K + ℓ, x < tokens; rows ≥ tokens are 0), accumulated in float64
   * from the table's values, with `bound` such that |result − vec·C_exact| ≤ bound[r] for the exact
   * fp32 sense vectors C_exact: the table's fp16 rounding, Σ_c |vec_c|·(half an fp16 ulp of the
   * stored value: round-to-nearest moves a value by at most that), plus both sides' float64
   * summation (on the stored exact norms). An fp32 table holds C_exact: the bound is then the
   * float64 rounding alone.
   */
  dotAllBounded(vec: Float64Array, tokens = this.vocabSize): { dots: Float64Array; bound: Float64Array } {
    const n = this.vocabSize * this.numSenses
    const rows = Math.min(tokens, this.vocabSize) * this.numSenses
    const d = this.dModel
    const dots = new Float64Array(n)
    const bound = new Float64Array(n)
    let nv = 0
    for (let c = 0; c < d; c++) nv += vec[c] * vec[c]
    nv = Math.sqrt(nv)
    const absVec = Float64Array.from(vec, Math.abs)
    const sum = 2 * (d + 2) * 2 ** -53 // float64 dot products of length d, ours and the exact one
    const data = this.#data
    const ulp = HALF_HALF_ULP
    const lut = HALF_TO_FLOAT
    for (let r = 0; r < rows; r++) {
      let s = 0
      let e = 0
      const off = r * d
      if (data instanceof Float32Array) {
        // four accumulators (about 3× faster in V8 than one); the bound below holds for any summation order
        let s1 = 0
        let s2 = 0
        let s3 = 0
        let c = 0
        for (; c + 3 < d; c += 4) {
          s += data[off + c] * vec[c]
          s1 += data[off + c + 1] * vec[c + 1]
          s2 += data[off + c + 2] * vec[c + 2]
          s3 += data[off + c + 3] * vec[c + 3]
        }
        for (; c < d; c++) s += data[off + c] * vec[c]
        s += s1 + s2 + s3
      } else {
        // two accumulators each (about 1.5× faster in V8 than one)
        let s1 = 0
        let e1 = 0
        let c = 0
        for (; c + 1 < d; c += 2) {
          const h0 = data[off + c]
          const h1 = data[off + c + 1]
          s += lut[h0] * vec[c]
          e += absVec[c] * ulp[(h0 >> 10) & 31]
          s1 += lut[h1] * vec[c + 1]
          e1 += absVec[c + 1] * ulp[(h1 >> 10) & 31]
        }
        for (; c < d; c++) {
          const h = data[off + c]
          s += lut[h] * vec[c]
          e += absVec[c] * ulp[(h >> 10) & 31]
        }
        s += s1
        e += e1
      }
      dots[r] = s
      const norm = this.norms[r]
      bound[r] = (e + nv * sum * (2 * norm + 1e-6) + Math.abs(s) * 2 ** -50) * (1 + 1e-6)
    }
    return { dots, bound }
  }

  /**
   * The `count` rows (x·K + ℓ, x < tokens) with the largest (or smallest) vec·C(x)_ℓ, best first,
   * scanning rows by decreasing norm and stopping once ‖vec‖·‖C(x)_ℓ‖ (Cauchy–Schwarz, with a
   * margin for fp16 rounding) cannot beat the count-th best so far. Same rows as a full scan.
   */
  bestRows(vec: Float32Array, count: number, largest: boolean, tokens = this.vocabSize): { rows: number[]; scanned: number } {
    const order = this.#byNorm()
    const limit = Math.min(tokens, this.vocabSize) * this.numSenses
    let nv = 0
    for (let c = 0; c < this.dModel; c++) nv += vec[c] * vec[c]
    nv = Math.sqrt(nv) * (1 + 4e-3) + 1e-6
    const sign = largest ? 1 : -1
    const rows: number[] = []
    const vals: number[] = [] // sign·score, descending
    let scanned = 0
    for (let o = 0; o < order.length; o++) {
      const r = order[o]
      if (r >= limit) continue
      if (rows.length === count && nv * this.norms[r] < vals[count - 1]) break
      scanned++
      const v = sign * this.#rowDot(r, vec)
      if (rows.length === count && !(v > vals[count - 1])) continue
      insertBestFirst(rows, vals, count, r, v)
    }
    return { rows: rows.slice(0, count), scanned }
  }

  /** Row r (x·K + ℓ) of the table decoded to float32 into out (d_model). */
  decodeRow(r: number, out: Float32Array): void {
    const off = r * this.dModel
    const d = this.#data
    if (d instanceof Float32Array) out.set(d.subarray(off, off + this.dModel))
    else for (let c = 0; c < this.dModel; c++) out[c] = HALF_TO_FLOAT[d[off + c]]
  }

  /** vec · row r from the table, exactly as `bestRows` computes it (same summation order). */
  rowDot(r: number, vec: Float32Array): number {
    return this.#rowDot(r, vec)
  }

  #rank: Int32Array | null = null
  /** Position of each row in `bestRows`' scan order (decreasing norm): a full scan's tie order. */
  scanRank(): Int32Array {
    if (!this.#rank) {
      const order = this.#byNorm()
      const rank = new Int32Array(order.length)
      for (let o = 0; o < order.length; o++) rank[order[o]] = o
      this.#rank = rank
    }
    return this.#rank
  }

  #order: Int32Array | null = null
  /** Row indices by decreasing norm (computed once). */
  #byNorm(): Int32Array {
    if (!this.#order) {
      const n = this.vocabSize * this.numSenses
      const idx = Int32Array.from({ length: n }, (_, i) => i)
      const norms = this.norms
      this.#order = idx.sort((a, b) => norms[b] - norms[a])
    }
    return this.#order
  }

  /** cos(vec, C(x)_sense) for every token x < tokens: (vocab); rows ≥ tokens are NaN. */
  cosineAll(vec: Float32Array, sense: number, tokens = this.vocabSize): Float32Array {
    const k = this.numSenses
    let nv = 0
    for (let c = 0; c < this.dModel; c++) nv += vec[c] * vec[c]
    nv = Math.sqrt(nv)
    const out = new Float32Array(this.vocabSize).fill(Number.NaN)
    for (let x = 0; x < Math.min(tokens, this.vocabSize); x++) {
      const denom = nv * this.norms[x * k + sense]
      out[x] = denom > 0 ? this.#rowDot(x * k + sense, vec) / denom : 0
    }
    return out
  }

  /** Row r of (vocab·sense, d_model) dotted with vec; four accumulators (about 2× faster in V8). */
  #rowDot(r: number, vec: Float32Array): number {
    const d = this.dModel
    const data = this.#data
    let off = r * d
    let s0 = 0
    let s1 = 0
    let s2 = 0
    let s3 = 0
    let c = 0
    if (data instanceof Float32Array) {
      for (; c + 3 < d; c += 4, off += 4) {
        s0 += data[off] * vec[c]
        s1 += data[off + 1] * vec[c + 1]
        s2 += data[off + 2] * vec[c + 2]
        s3 += data[off + 3] * vec[c + 3]
      }
      for (; c < d; c++, off++) s0 += data[off] * vec[c]
    } else {
      const lut = HALF_TO_FLOAT
      for (; c + 3 < d; c += 4, off += 4) {
        s0 += lut[data[off]] * vec[c]
        s1 += lut[data[off + 1]] * vec[c + 1]
        s2 += lut[data[off + 2]] * vec[c + 2]
        s3 += lut[data[off + 3]] * vec[c + 3]
      }
      for (; c < d; c++, off++) s0 += lut[data[off]] * vec[c]
    }
    return s0 + s1 + s2 + s3
  }
}

/**
 * Half an fp16 ulp for each exponent field (bits 10–14 of a half): the most round-to-nearest can
 * have moved the fp32 value that became it (2^-25 for zeros and subnormals; Infinity for
 * Inf/NaN, whose source is unknown).
 */
const HALF_HALF_ULP = Float64Array.from({ length: 32 }, (_, exp) => (exp === 31 ? Infinity : exp === 0 ? 2 ** -25 : 2 ** (exp - 26)))

/** Where an engine's table lives. */
export function senseTableDir(engine: BackpackEngine): string {
  return join(cacheDir(), 'senses', engine.contentHash)
}

interface Loaded extends StoredTable {
  table: SenseTable
  scores: boolean
  key: string // manifest-relevant options
}
/**
 * One build or load at a time per directory, across the process: a per-folder lock registry, not
 * per-model state (two sessions of one checkpoint share its folder; processes use the folder lock).
 */
const chains = new Map<string, Promise<unknown>>()

/**
 * The sense tables of one engine in memory, per directory: owned by the model session (see
 * session/model-session.ts) and released with it. Calls for the same directory run one after
 * another and share the table in memory; a 'scores' request after a 'senses' one only adds the
 * second phase. Progress and cancellation belong to each call: a call that finds the table
 * ready reports nothing, one that has work to do reports its own progress, and cancelling
 * leaves finished chunks on disk for the next call to resume.
 */
export class SenseTables {
  readonly #engine: BackpackEngine
  readonly #loaded = new Map<string, Loaded>()

  constructor(engine: BackpackEngine) {
    this.#engine = engine
  }

  /** Opens the table of the engine's checkpoint, building (or resuming) what is missing. */
  open(options: OpenSenseTableOptions = {}): Promise<SenseTable> {
    const engine = this.#engine
    const dir = options.dir ?? senseTableDir(engine)
    const need = options.need ?? 'senses'
    const key = `${options.precision ?? ''}|${options.chunkTokens ?? ''}`
    const ready = () => {
      const m = this.#loaded.get(dir)
      return m && m.key === key && (need === 'senses' || m.scores) ? m : undefined
    }
    const hit = ready()
    if (hit) return Promise.resolve(hit.table)
    const prev = chains.get(dir) ?? Promise.resolve()
    const p = (async () => {
      await waitTurn(prev, options.signal, dir)
      const again = ready()
      if (again) return again.table
      const m = this.#loaded.get(dir)
      const stored = await buildOrLoad(engine, dir, options, m && m.key === key ? m : undefined)
      const { vocabSize, numSenses, nEmbd: dModel } = engine.config
      const table = new SenseTable({ vocabSize, numSenses, dModel, dir, ...stored })
      this.#loaded.set(dir, { ...stored, table, scores: need === 'scores', key })
      return table
    })()
    // the next call's turn comes when both this call and the one before it are over (this one may stop waiting early when cancelled)
    const turn = Promise.allSettled([prev, p])
    chains.set(dir, turn)
    void turn.finally(() => {
      if (chains.get(dir) === turn) chains.delete(dir)
    })
    return p
  }

  /** Lets go of the tables (their indexes go with them). */
  clear(): void {
    this.#loaded.clear()
  }
}

/** Waits for the previous call on the folder to finish; a call cancelled meanwhile stops waiting. */
function waitTurn(prev: Promise<unknown>, signal: AbortSignal | undefined, dir: string): Promise<void> {
  const done = prev.then(
    () => undefined,
    () => undefined,
  )
  if (!signal) return done
  return new Promise((resolve, reject) => {
    const onAbort = () =>
      reject(new WorkbenchError('cancelled', `opening the sense table in ${dir} was cancelled while another call was building it`))
    if (signal.aborted) {
      // an already cancelled call still finds a table that is ready (as it always did)
      void done.then(resolve)
      return
    }
    signal.addEventListener('abort', onAbort, { once: true })
    void done.then(() => {
      signal.removeEventListener('abort', onAbort)
      resolve()
    })
  })
}

/**
 * Opens the table of an engine's checkpoint once, with nothing kept in memory for later calls
 * (a model session keeps its tables: `ModelSession.senseTable`).
 */
export function openSenseTable(engine: BackpackEngine, options: OpenSenseTableOptions = {}): Promise<SenseTable> {
  return new SenseTables(engine).open(options)
}
