import { open, readFile, rename, writeFile, type FileHandle } from 'node:fs/promises'
import { join } from 'node:path'
import { WorkbenchError } from '../../shared/errors'
import type { BackpackEngine } from '../runtime/backpack-engine'
import { cacheDir } from '../paths/app-paths'
import { createFolder } from '../paths/create-folder'
import { HALF_TO_FLOAT, toHalfArray } from './float16'
import { insertBestFirst } from '../prediction/top-k'
import { ScoreExtremes } from './score-extremes'
import { acquireFolderLock, type LockHolder } from './folder-lock'

/**
 * The whole-vocabulary sense table of one checkpoint: every token's K sense vectors (fp16 or
 * fp32), their norms, and — in a second, optional phase — the max and min of each sense's score
 * vector E·C(x)_ℓ over the whole vocabulary (needed by topic control, backpack-spec.md §4.3):
 * exact fp32 (the lm_head's Gemm on the exact sense vectors, reduced inside onnxruntime by
 * `ScoreExtremes`; ~5–6 min of the 2-core box at full size, once per checkpoint). The max is over
 * all vocab columns, padding ids included (the authors take max over the full score vector); rows
 * of every token are filled, and topic-weights.ts zeroes the scores of ids ≥ 50256 as §4.3 says.
 * Built once in chunks of tokens, cancellable, resumable, cached on disk under
 * `cacheDir()/senses/<contentHash>/`:
 *   manifest.json   sizes, precision, chunk size
 *   senses.bin      (vocab, sense, d_model) fp16 or fp32, little-endian
 *   stats.bin       (3, vocab, sense) float32: norm, max score, min score
 *   progress.bin    one byte per chunk: bit 0 senses written, bit 1 scores written
 *   build.lock      while a process builds or resumes the table (see folder-lock.ts)
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

const VERSION = 1

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

  constructor(args: { vocabSize: number; numSenses: number; dModel: number; precision: 'f16' | 'f32'; dir: string; data: Uint16Array | Float32Array; stats: Float32Array; stamp?: string }) {
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
      if (data instanceof Float32Array) for (let c = 0; c < d; c++) s += data[off + c] * vec[c]
      else {
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

interface Loaded {
  table: SenseTable
  scores: boolean
  data: Uint16Array | Float32Array
  stats: Float32Array
  key: string // manifest-relevant options
}
/** Tables in memory, per engine and directory (released with the engine). */
const loaded = new WeakMap<BackpackEngine, Map<string, Loaded>>()
/** One build or load at a time per directory. */
const chains = new Map<string, Promise<unknown>>()

/**
 * Opens the table of the engine's checkpoint, building (or resuming) what is missing. Calls for
 * the same directory run one after another and share the table in memory; a 'scores' request
 * after a 'senses' one only adds the second phase. Cancelling leaves finished chunks on disk.
 */
export function openSenseTable(engine: BackpackEngine, options: OpenSenseTableOptions = {}): Promise<SenseTable> {
  const dir = options.dir ?? senseTableDir(engine)
  const need = options.need ?? 'senses'
  const key = `${options.precision ?? ''}|${options.chunkTokens ?? ''}`
  const ready = () => {
    const m = loaded.get(engine)?.get(dir)
    return m && m.key === key && (need === 'senses' || m.scores) ? m : undefined
  }
  const hit = ready()
  if (hit) return Promise.resolve(hit.table)
  const prev = chains.get(dir) ?? Promise.resolve()
  const p = prev
    .catch(() => undefined)
    .then(async () => {
      const again = ready()
      if (again) return again.table
      const m = loaded.get(engine)?.get(dir)
      const built = await buildOrLoad(engine, dir, options, m && m.key === key ? m : undefined)
      let perEngine = loaded.get(engine)
      if (!perEngine) loaded.set(engine, (perEngine = new Map()))
      perEngine.set(dir, { ...built, scores: need === 'scores', key })
      return built.table
    })
  chains.set(dir, p)
  void p.catch(() => undefined).finally(() => {
    if (chains.get(dir) === p) chains.delete(dir)
  })
  return p
}

async function buildOrLoad(engine: BackpackEngine, dir: string, o: OpenSenseTableOptions, inMemory?: Loaded): Promise<{ table: SenseTable; data: Uint16Array | Float32Array; stats: Float32Array }> {
  const { vocabSize: V, numSenses: k, nEmbd: d } = engine.config
  const chunk = o.chunkTokens ?? 1024
  // fp32 while the table stays small (≤ 512 MB), fp16 beyond (the full model: 1.2 GB instead of 2.5 GB)
  const precision = o.precision ?? (V * k * d * 4 <= 512 * 2 ** 20 ? 'f32' : 'f16')
  const manifest = { version: VERSION, contentHash: engine.contentHash, vocabSize: V, numSenses: k, dModel: d, precision, chunkTokens: chunk }
  const stamp = JSON.stringify(manifest, null, 2) // manifest.json as written
  const chunks = Math.ceil(V / chunk)
  const want = o.need === 'scores' ? 3 : 1 // progress bits the request needs
  const data = inMemory?.data ?? (precision === 'f16' ? new Uint16Array(V * k * d) : new Float32Array(V * k * d)) // (vocab, sense, d_model)
  const stats = inMemory?.stats ?? new Float32Array(3 * V * k) // (3, vocab, sense)
  const result = () => ({ table: new SenseTable({ vocabSize: V, numSenses: k, dModel: d, precision, dir, data, stats, stamp }), data, stats })
  createFolder(dir) // not mkdir({recursive}): it never returns on Node 20 when a parent answers ENOENT
  if (await readComplete(dir, manifest, chunks, want, inMemory ? undefined : data, stats)) {
    o.onProgress?.({ phase: want === 3 ? 'scores' : 'senses', done: V, total: V })
    return result()
  }
  let reported = -1
  const lock = await acquireFolderLock(dir, {
    signal: o.signal,
    what: 'sense table',
    onWait: async (holder) => {
      const progress = await readProgress(dir, manifest, chunks)
      const done = progress ? tokensWith(progress, want, chunk, V) : 0
      if (holder && done !== reported) o.onProgress?.({ phase: want === 3 ? 'scores' : 'senses', done, total: V, heldBy: holder })
      reported = done
    },
  })
  try {
    await buildLocked(engine, { V, k, d, chunk, chunks, n: V * k, dir, data, stats, bytes: precision === 'f16' ? 2 : 4 }, manifest, o, !!inMemory)
  } finally {
    await lock.release()
  }
  return result()
}

/** Tokens of the chunks whose progress byte has all `bits`. */
function tokensWith(progress: Uint8Array, bits: number, chunk: number, V: number): number {
  let done = 0
  for (let c = 0; c < progress.length; c++) done += (progress[c] & bits) === bits ? Math.min(chunk, V - c * chunk) : 0
  return done
}

/** progress.bin when manifest.json is this manifest and the sizes fit, else undefined. */
async function readProgress(dir: string, manifest: object, chunks: number): Promise<Uint8Array | undefined> {
  const prior = await readJson(join(dir, 'manifest.json'))
  if (!prior || JSON.stringify(prior) !== JSON.stringify(manifest)) return undefined
  try {
    const progress = new Uint8Array(await readFile(join(dir, 'progress.bin')))
    return progress.length === chunks ? progress : undefined
  } catch {
    return undefined
  }
}

/**
 * Without the lock: when the folder holds this manifest with every chunk's `want` bits, reads
 * senses.bin into data (unless undefined: already in memory) and stats.bin into stats, and checks
 * afterwards that manifest and progress still say so (a process rebuilding the folder for other
 * options would have reset progress.bin first). True when the read is good.
 */
async function readComplete(dir: string, manifest: object, chunks: number, want: number, data: Uint16Array | Float32Array | undefined, stats: Float32Array): Promise<boolean> {
  const complete = async () => (await readProgress(dir, manifest, chunks))?.every((b) => (b & want) === want) ?? false
  if (!(await complete())) return false
  const fresh = new Float32Array(stats.length) // into stats only once good: it may be a table's in memory
  if (data) await readInto(join(dir, 'senses.bin'), new Uint8Array(data.buffer, data.byteOffset, data.byteLength))
  await readInto(join(dir, 'stats.bin'), new Uint8Array(fresh.buffer))
  if (!(await complete())) return false
  stats.set(fresh)
  return true
}

interface Sizes {
  V: number
  k: number
  d: number
  chunk: number
  chunks: number
  n: number
  dir: string
  data: Uint16Array | Float32Array
  stats: Float32Array
  bytes: number
}

/** Builds or resumes the table in the folder; the caller holds the folder's lock. */
async function buildLocked(engine: BackpackEngine, z: Sizes, manifest: object, o: OpenSenseTableOptions, inMemory: boolean): Promise<void> {
  const { V, k, d, chunk, chunks, n, dir, data, stats, bytes } = z
  const prior = await readJson(join(dir, 'manifest.json'))
  const fresh = !prior || JSON.stringify(prior) !== JSON.stringify(manifest)
  let progress = new Uint8Array(chunks)
  if (fresh) {
    await writeFile(join(dir, 'progress.bin'), progress)
    await writeFile(join(dir, 'senses.bin'), new Uint8Array(0))
    await writeFile(join(dir, 'stats.bin'), new Uint8Array(0))
    await writeJsonAtomic(join(dir, 'manifest.json'), manifest)
  } else {
    progress = new Uint8Array(await readFile(join(dir, 'progress.bin')))
    if (progress.length !== chunks) throw new WorkbenchError('internal', `sense table progress file in ${dir} has ${progress.length} chunks, expected ${chunks}`)
    if (!inMemory) {
      await readInto(join(dir, 'senses.bin'), new Uint8Array(data.buffer))
      await readInto(join(dir, 'stats.bin'), new Uint8Array(stats.buffer))
    } else {
      // another process may have scored chunks since: take their max and min from the disk
      const disk = new Float32Array(stats.length)
      await readInto(join(dir, 'stats.bin'), new Uint8Array(disk.buffer))
      for (let c = 0; c < chunks; c++) {
        if (!(progress[c] & 2)) continue
        const from = c * chunk * k
        const to = Math.min(V, (c + 1) * chunk) * k
        for (const plane of [1, 2]) stats.set(disk.subarray(plane * n + from, plane * n + to), plane * n + from)
      }
    }
  }
  const sensesFile = await open(join(dir, 'senses.bin'), 'r+')
  const statsFile = await open(join(dir, 'stats.bin'), 'r+')
  const progressFile = await open(join(dir, 'progress.bin'), 'r+')
  try {
    if (o.need === 'scores') {
      // one pass: each chunk's exact fp32 vectors are computed once and give both its senses (if
      // missing) and its score extremes
      await scoresPass(engine, { V, k, d, chunk, chunks, n, dir, data, stats, progress, sensesFile, statsFile, progressFile, bytes }, o)
    } else {
      let done = tokensWith(progress, 1, chunk, V)
      o.onProgress?.({ phase: 'senses', done, total: V })
      for (let c = 0; c < chunks; c++) {
        if (progress[c] & 1) continue
        if (o.signal?.aborted) throw cancelled(done, V, 'senses', dir)
        const start = c * chunk
        const ids = Array.from({ length: Math.min(chunk, V - start) }, (_, i) => start + i)
        const vecs = await engine.senseVectors(ids, { signal: o.signal }) // (n, sense, d_model)
        storeSenses(vecs, start, ids.length, k, d, data, stats)
        await writeAt(sensesFile, data, start * k * d, ids.length * k * d, bytes)
        await writeAt(statsFile, stats, start * k, ids.length * k, 4)
        progress[c] |= 1
        await progressFile.write(progress, c, 1, c)
        done += ids.length
        o.onProgress?.({ phase: 'senses', done, total: V })
      }
    }
  } finally {
    await sensesFile.close()
    await statsFile.close()
    await progressFile.close()
  }
}

function cancelled(done: number, total: number, phase: string, dir: string): WorkbenchError {
  return new WorkbenchError('cancelled', `sense table build cancelled at ${done}/${total} tokens (${phase}); finished chunks are kept in ${dir}`)
}

/** Vectors (n, sense, d_model) of tokens start.. into the table's data and their norms into stats. */
function storeSenses(vecs: Float32Array, start: number, count: number, k: number, d: number, data: Uint16Array | Float32Array, stats: Float32Array): void {
  if (data instanceof Float32Array) data.set(vecs, start * k * d)
  else toHalfArray(vecs, data, start * k * d)
  for (let r = 0; r < count * k; r++) {
    let s = 0
    for (let x = 0; x < d; x++) s += vecs[r * d + x] * vecs[r * d + x]
    stats[start * k + r] = Math.sqrt(s)
  }
}

interface BuildState extends Sizes {
  progress: Uint8Array
  sensesFile: FileHandle
  statsFile: FileHandle
  progressFile: FileHandle
}

/**
 * The 'scores' phase: for every chunk not yet scored, max_v and min_v of E·C(x)_ℓ over the whole
 * vocabulary (all V columns, padding ids included, as the authors' max over the full score
 * vector) from the exact fp32 sense vectors — the table's own when it is fp32 and has them, else
 * recomputed by the engine (an fp16 table holds rounded ones) — through `ScoreExtremes` (one GEMM
 * per block of rows, reduced inside onnxruntime). Chunks without senses get them from the same
 * vectors. Progress is reported per block of rows (phase 'scores', in tokens).
 */
async function scoresPass(engine: BackpackEngine, s: BuildState, o: OpenSenseTableOptions): Promise<void> {
  const { V, k, d, chunk, chunks, n, dir, data, stats, progress } = s
  let done = tokensWith(progress, 3, chunk, V)
  o.onProgress?.({ phase: 'scores', done, total: V })
  let extremes: ScoreExtremes | null = null
  for (let c = 0; c < chunks; c++) {
    if ((progress[c] & 3) === 3) continue
    if (o.signal?.aborted) throw cancelled(done, V, 'scores', dir)
    const start = c * chunk
    const count = Math.min(chunk, V - start)
    let vecs: Float32Array // (count, sense, d_model), exact fp32
    if (progress[c] & 1 && data instanceof Float32Array) vecs = data.subarray(start * k * d, (start + count) * k * d)
    else vecs = await engine.senseVectors(Array.from({ length: count }, (_, i) => start + i), { signal: o.signal })
    if (!(progress[c] & 1)) {
      storeSenses(vecs, start, count, k, d, data, stats)
      await writeAt(s.sensesFile, data, start * k * d, count * k * d, s.bytes)
    }
    if (!(progress[c] & 2)) {
      extremes ??= await ScoreExtremes.create(engine)
      try {
        const { max, min } = await extremes.run(vecs, count * k, {
          signal: o.signal,
          onBlock: (rows) => {
            if (rows < count * k) o.onProgress?.({ phase: 'scores', done: done + Math.floor(rows / k), total: V })
          },
        })
        stats.set(max, n + start * k)
        stats.set(min, 2 * n + start * k)
      } catch (e) {
        if (e instanceof WorkbenchError && e.code === 'cancelled') throw cancelled(done, V, 'scores', dir)
        throw e
      }
    }
    for (let plane = 0; plane < 3; plane++) await writeAt(s.statsFile, stats, plane * n + start * k, count * k, 4)
    progress[c] |= 3
    await s.progressFile.write(progress, c, 1, c)
    done += count
    o.onProgress?.({ phase: 'scores', done, total: V })
  }
}

async function writeAt(file: FileHandle, arr: Uint16Array | Float32Array, index: number, count: number, bytes: number): Promise<void> {
  const view = new Uint8Array(arr.buffer, arr.byteOffset + index * bytes, count * bytes)
  let written = 0
  while (written < view.length) {
    const { bytesWritten } = await file.write(view, written, view.length - written, index * bytes + written)
    written += bytesWritten
  }
}

async function readInto(path: string, target: Uint8Array): Promise<void> {
  const f = await open(path, 'r')
  try {
    let pos = 0
    while (pos < target.length) {
      const { bytesRead } = await f.read(target, pos, Math.min(1 << 30, target.length - pos), pos)
      if (bytesRead === 0) break // not yet written: zeros, and progress.bin says so
      pos += bytesRead
    }
  } finally {
    await f.close()
  }
}

async function readJson(path: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, 'utf8'))
  } catch {
    return undefined
  }
}

async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  await writeFile(path + '.tmp', JSON.stringify(value, null, 2))
  await rename(path + '.tmp', path)
}
