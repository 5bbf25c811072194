import { open, readFile, rename, writeFile, type FileHandle } from 'node:fs/promises'
import { join } from 'node:path'
import { WorkbenchError } from '../../shared/errors'
import type { BackpackEngine } from '../runtime/backpack-engine'
import { createFolder } from '../paths/create-folder'
import { readFileInto, writeAt } from './file-io'
import { toHalfArray } from './float16'
import { acquireFolderLock } from '../fs/file-lock'
import type { OpenSenseTableOptions } from './sense-table'

/**
 * The on-disk side of the whole-vocabulary sense table (sense-table.ts describes the folder):
 * reading a complete table, and building or resuming it in chunks under the folder's lock.
 */
const VERSION = 1

/** What the folder holds for one set of options, in memory. */
export interface StoredTable {
  precision: 'f16' | 'f32'
  data: Uint16Array | Float32Array // (vocab, sense, d_model)
  stats: Float32Array // (3, vocab, sense): norm, max score, min score
  /** manifest.json as written (stamps the int8 index) */
  stamp: string
}

/**
 * Reads the table in `dir` when it is complete for the request (no lock), else builds or resumes
 * what is missing under the folder's lock. `inMemory`: the data and stats of this table already
 * in memory (a 'scores' request after a 'senses' one), filled in place.
 */
export async function buildOrLoad(
  engine: BackpackEngine,
  dir: string,
  o: OpenSenseTableOptions,
  inMemory?: { data: Uint16Array | Float32Array; stats: Float32Array },
): Promise<StoredTable> {
  const { vocabSize: V, numSenses: k, nEmbd: d } = engine.config
  const chunk = o.chunkTokens ?? 1024
  // fp32 while the table stays small (≤ 512 MB), fp16 beyond (the full model: 1.2 GB instead of 2.5 GB)
  const precision = o.precision ?? (V * k * d * 4 <= 512 * 2 ** 20 ? 'f32' : 'f16')
  const manifest = {
    version: VERSION,
    contentHash: engine.contentHash,
    vocabSize: V,
    numSenses: k,
    dModel: d,
    precision,
    chunkTokens: chunk,
  }
  const stamp = JSON.stringify(manifest, null, 2) // manifest.json as written
  const chunks = Math.ceil(V / chunk)
  const want = o.need === 'scores' ? 3 : 1 // progress bits the request needs
  // (vocab, sense, d_model); an fp16 table is shared memory when the engine can write halves into it (see computeSenses)
  const data = inMemory?.data ?? (precision === 'f16' ? halfTable(V * k * d, !!engine.senseHalves) : new Float32Array(V * k * d))
  const stats = inMemory?.stats ?? new Float32Array(3 * V * k) // (3, vocab, sense)
  const result = (): StoredTable => ({ precision, data, stats, stamp })
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
    await buildLocked(
      engine,
      { V, k, d, chunk, chunks, n: V * k, dir, data, stats, bytes: precision === 'f16' ? 2 : 4 },
      manifest,
      o,
      !!inMemory,
    )
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
async function readComplete(
  dir: string,
  manifest: object,
  chunks: number,
  want: number,
  data: Uint16Array | Float32Array | undefined,
  stats: Float32Array,
): Promise<boolean> {
  const complete = async () => (await readProgress(dir, manifest, chunks))?.every((b) => (b & want) === want) ?? false
  if (!(await complete())) return false
  const fresh = new Float32Array(stats.length) // into stats only once good: it may be a table's in memory
  if (data) await readFileInto(join(dir, 'senses.bin'), new Uint8Array(data.buffer, data.byteOffset, data.byteLength))
  await readFileInto(join(dir, 'stats.bin'), new Uint8Array(fresh.buffer))
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
    if (progress.length !== chunks)
      throw new WorkbenchError('internal', `sense table progress file in ${dir} has ${progress.length} chunks, expected ${chunks}`)
    if (!inMemory) {
      await readFileInto(join(dir, 'senses.bin'), new Uint8Array(data.buffer))
      await readFileInto(join(dir, 'stats.bin'), new Uint8Array(stats.buffer))
    } else {
      // another process may have scored chunks since: take their max and min from the disk
      const disk = new Float32Array(stats.length)
      await readFileInto(join(dir, 'stats.bin'), new Uint8Array(disk.buffer))
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
    } else
      await sensesPass(engine, { V, k, d, chunk, chunks, n, dir, data, stats, progress, sensesFile, statsFile, progressFile, bytes }, o)
  } finally {
    await sensesFile.close()
    await statsFile.close()
    await progressFile.close()
  }
}

function cancelled(done: number, total: number, phase: string, dir: string): WorkbenchError {
  return new WorkbenchError(
    'cancelled',
    `sense table build cancelled at ${done}/${total} tokens (${phase}); finished chunks are kept in ${dir}`,
  )
}

/** An fp16 table's memory: over a SharedArrayBuffer when an engine worker is to write into it. */
function halfTable(length: number, shared: boolean): Uint16Array {
  return shared ? new Uint16Array(new SharedArrayBuffer(length * 2)) : new Uint16Array(length)
}

/**
 * The 'senses' phase: every chunk without senses, computed and written in order. Writing a chunk
 * (senses, norms, then its progress byte) overlaps computing the next one; a chunk counts as done
 * — in progress reports and on disk — once its progress byte is written.
 */
async function sensesPass(engine: BackpackEngine, s: BuildState, o: OpenSenseTableOptions): Promise<void> {
  const { V, k, d, chunk, chunks, dir, data, stats, progress, bytes } = s
  let done = tokensWith(progress, 1, chunk, V)
  o.onProgress?.({ phase: 'senses', done, total: V })
  const persist = async (c: number, start: number, count: number) => {
    await writeAt(s.sensesFile, data, start * k * d, count * k * d, bytes)
    await writeAt(s.statsFile, stats, start * k, count * k, 4)
    progress[c] |= 1
    await s.progressFile.write(progress, c, 1, c)
    done += count
    o.onProgress?.({ phase: 'senses', done, total: V })
  }
  let writing: Promise<void> = Promise.resolve()
  try {
    for (let c = 0; c < chunks; c++) {
      if (progress[c] & 1) continue
      if (o.signal?.aborted) throw cancelled(done, V, 'senses', dir)
      const start = c * chunk
      const ids = Array.from({ length: Math.min(chunk, V - start) }, (_, i) => start + i)
      await computeSenses(engine, ids, start, s, o.signal)
      await writing
      if (o.signal?.aborted) throw cancelled(done, V, 'senses', dir) // this chunk is computed but not kept
      writing = persist(c, start, ids.length)
      void writing.catch(() => {}) // awaited (and thrown) at the next chunk or below; handled meanwhile
    }
  } finally {
    await writing.catch(() => {}) // a failure or cancellation waits for the write in flight
  }
  await writing
}

/**
 * The senses of tokens `ids` (start, start+1, …) into the table's data and their norms into
 * stats. An fp16 table in shared memory, from an engine that offers `senseHalves` (the worker
 * engine), is written by the engine worker — the same bits and norms as storeSenses makes of the
 * fp32 vectors, without fp32 vectors crossing threads or any conversion or copy on this thread.
 */
async function computeSenses(engine: BackpackEngine, ids: number[], start: number, z: Sizes, signal?: AbortSignal): Promise<void> {
  const { k, d, data, stats } = z
  if (data instanceof Uint16Array && data.buffer instanceof SharedArrayBuffer && engine.senseHalves)
    stats.set(await engine.senseHalves(ids, data.subarray(start * k * d, (start + ids.length) * k * d), { signal }), start * k)
  else storeSenses(await engine.senseVectors(ids, { signal }), start, ids.length, k, d, data, stats) // (n, sense, d_model)
}

/** Vectors (n, sense, d_model) of tokens start.. into the table's data and their norms into stats. */
function storeSenses(
  vecs: Float32Array,
  start: number,
  count: number,
  k: number,
  d: number,
  data: Uint16Array | Float32Array,
  stats: Float32Array,
): void {
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
 * recomputed by the engine (an fp16 table holds rounded ones) — through `engine.scoreExtremes` (one
 * GEMM per block of rows, reduced inside onnxruntime in the engine's worker). Chunks without senses get them from the same
 * vectors. Progress is reported per block of rows (phase 'scores', in tokens).
 */
async function scoresPass(engine: BackpackEngine, s: BuildState, o: OpenSenseTableOptions): Promise<void> {
  const { V, k, d, chunk, chunks, n, dir, data, stats, progress } = s
  let done = tokensWith(progress, 3, chunk, V)
  o.onProgress?.({ phase: 'scores', done, total: V })
  for (let c = 0; c < chunks; c++) {
    if ((progress[c] & 3) === 3) continue
    if (o.signal?.aborted) throw cancelled(done, V, 'scores', dir)
    const start = c * chunk
    const count = Math.min(chunk, V - start)
    let vecs: Float32Array // (count, sense, d_model), exact fp32
    if (progress[c] & 1 && data instanceof Float32Array) vecs = data.subarray(start * k * d, (start + count) * k * d)
    else
      vecs = await engine.senseVectors(
        Array.from({ length: count }, (_, i) => start + i),
        { signal: o.signal },
      )
    if (!(progress[c] & 1)) {
      storeSenses(vecs, start, count, k, d, data, stats)
      await writeAt(s.sensesFile, data, start * k * d, count * k * d, s.bytes)
    }
    if (!(progress[c] & 2)) {
      try {
        const { max, min } = await engine.scoreExtremes(vecs, count * k, {
          signal: o.signal,
          onProgress: (p) => {
            const rows = Math.round(p.fraction * count * k)
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
