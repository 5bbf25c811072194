import type { BigIntStats } from 'node:fs'
import { link, mkdtemp, open, readFile, rename, rm, stat, writeFile, type FileHandle } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pkg from 'onnx-proto'
import type { EngineCalls } from '../runtime/engine-methods'
import { WorkbenchError } from '../../shared/errors'
import type { SenseTable } from './sense-table'
import { tryFolderLock } from '../fs/file-lock'
import { readFully } from './file-io'

const { onnx } = pkg
const DT = onnx.TensorProto.DataType
const INDEX_VERSION = 1
const ROW_BLOCK = 1024 // rows quantised together, then written transposed 1 KiB at a time

/** Where the index's scoring session lives and runs: the engine's worker (its int8 methods). */
export type Int8Scorer = Pick<EngineCalls, 'openInt8Scores' | 'int8Scores' | 'closeInt8Scores'>

/**
 * An int8 copy of a sense table for fast approximate scoring, with per-row error bounds that make
 * exact answers possible (see `exactBestRows`). Row r (= x·K + ℓ) is stored as
 * C_r ≈ scale_r · q_r with q_r ∈ [−127, 127]^d, transposed to (d_model, rows) so that one
 * `MatMulInteger` of the quantised query (1, d_model) × (d_model, rows) scores every row, in the
 * engine's worker (`scorer`), which holds the scoring session.
 * Once the scoring session holds its packed copy of q and int8-index.bin holds the same bytes, the
 * index lets go of its own (617 MB at full size): see `quantised`.
 */
export class Int8SenseIndex {
  readonly rows: number
  readonly dModel: number
  /** (d_model, rows); null once released (see #scoresSession), then read back by `quantised` */
  #q: Int8Array | null
  /** per row: scale, ‖C_r − scale·q_r‖₂, ‖scale·q_r‖₂ (float64), Σ_c q_r[c] */
  readonly scale: Float64Array
  readonly err: Float64Array
  readonly qNorm: Float64Array
  readonly rowSum: Int32Array
  /** the folder the index was saved in or loaded from: the scoring session's files are written there */
  #dir: string | undefined
  /** the int8-index.bin `q` was read from or written to, as it was then */
  #file: FileId | undefined
  /** the scoring session's handle in the scorer */
  #session: Promise<number> | null = null
  readonly #scorer: Int8Scorer
  #weightsFrom: 'linked' | 'written' | undefined
  /** the table the index was built from (or loaded for): `q` can be rebuilt from it once released */
  #table: SenseTable | undefined

  constructor(
    parts: { rows: number; dModel: number; q: Int8Array; scale: Float64Array; err: Float64Array; qNorm: Float64Array; rowSum: Int32Array },
    scorer: Int8Scorer,
    dir?: string,
    file?: FileId,
    table?: SenseTable,
  ) {
    this.#scorer = scorer
    this.rows = parts.rows
    this.dModel = parts.dModel
    this.#q = parts.q
    this.scale = parts.scale
    this.err = parts.err
    this.qNorm = parts.qNorm
    this.rowSum = parts.rowSum
    this.#dir = dir
    this.#file = file
    this.#table = table
  }

  /** How the scoring session got `q`: a hard link to the unchanged int8-index.bin, or a fresh copy (diagnostics, tests). */
  get weightsFrom(): 'linked' | 'written' | undefined {
    return this.#weightsFrom
  }

  /** Whether the index has let go of its in-memory `q` (diagnostics, tests). */
  get released(): boolean {
    return this.#q === null
  }

  /**
   * `q` (d_model, rows): in memory until the scoring session holds its packed copy, after that read
   * back from the int8-index.bin it was saved to or loaded from when that is still the same file
   * (see sameFileBytes), else rebuilt from the table (quantisation is deterministic: the same bytes
   * for the table the index was built from). The scoring itself never needs it again; saving does.
   */
  async quantised(): Promise<Int8Array> {
    return (await this.#parts())[0]
  }

  /** q and the per-row parts, consistent with each other: a rebuilt q comes with its rebuilt parts. */
  async #parts(): Promise<[Int8Array, Float64Array, Float64Array, Float64Array, Int32Array]> {
    const q = this.#q ?? (this.#file && (await sameFileBytes(this.#file, this.rows * this.dModel)))
    if (q) return [q, this.scale, this.err, this.qNorm, this.rowSum]
    if (!this.#table) throw new WorkbenchError('internal', 'int8 index: q was released without a table to rebuild it from') // never: see #scoresSession
    const rebuilt = await Int8SenseIndex.build(this.#table, this.#scorer)
    return [rebuilt.#q as Int8Array, rebuilt.scale, rebuilt.err, rebuilt.qNorm, rebuilt.rowSum]
  }

  /**
   * Quantises every row of the table (rows in blocks written transposed). At full size this is
   * ~15 s of JS, so it yields to the event loop between blocks instead of blocking it.
   */
  static async build(table: SenseTable, scorer: Int8Scorer): Promise<Int8SenseIndex> {
    const n = table.vocabSize * table.numSenses
    const d = table.dModel
    const index = new Int8SenseIndex(
      {
        rows: n,
        dModel: d,
        q: new Int8Array(d * n),
        scale: new Float64Array(n),
        err: new Float64Array(n),
        qNorm: new Float64Array(n),
        rowSum: new Int32Array(n),
      },
      scorer,
      undefined,
      undefined,
      table,
    )
    await index.#fill(table)
    return index
  }

  async #fill(table: SenseTable): Promise<void> {
    const n = this.rows
    const d = this.dModel
    const block = new Float32Array(ROW_BLOCK * d) // (row in block, d_model)
    const qb = new Int8Array(ROW_BLOCK * d)
    const q = this.#q as Int8Array // a fresh index: not released
    for (let r0 = 0; r0 < n; r0 += ROW_BLOCK) {
      if (r0 > 0) await new Promise((resolve) => setImmediate(resolve))
      const m = Math.min(ROW_BLOCK, n - r0)
      for (let i = 0; i < m; i++) {
        const row = block.subarray(i * d, (i + 1) * d)
        table.decodeRow(r0 + i, row)
        let mx = 0
        for (let c = 0; c < d; c++) mx = Math.max(mx, Math.abs(row[c]))
        const s = Math.fround(mx / 127)
        const inv = s > 0 ? 1 / s : 0 // any rounding is fine: the error below is measured, not assumed
        let e2 = 0
        let q2 = 0
        let sum = 0
        for (let c = 0; c < d; c++) {
          let v = Math.round(row[c] * inv)
          v = v > 127 ? 127 : v < -127 ? -127 : v
          qb[i * d + c] = v
          const diff = row[c] - s * v
          e2 += diff * diff
          q2 += v * v
          sum += v
        }
        this.scale[r0 + i] = s
        this.err[r0 + i] = Math.sqrt(e2)
        this.qNorm[r0 + i] = s * Math.sqrt(q2)
        this.rowSum[r0 + i] = sum
      }
      for (let c = 0; c < d; c++) {
        const base = c * n + r0
        for (let i = 0; i < m; i++) q[base + i] = qb[i * d + c]
      }
    }
  }

  /**
   * Writes the index next to the table (int8-index.bin + int8-index.json stamped with the table's
   * manifest), each through a temporary file renamed into place; the old int8-index.json goes
   * first, so a reader that finds the same json before and after reading int8-index.bin has read
   * the file that json describes (see load). The caller holds the folder's lock (see int8Index):
   * one writer at a time. A released index writes `q` as `quantised` reads it back (rebuilt from
   * the table: with the rebuilt per-row parts, so the file always describes one table).
   */
  async save(dir: string, stamp: string): Promise<void> {
    const parts = await this.#parts()
    const tmp = join(dir, 'int8-index.bin.tmp')
    const f = await open(tmp, 'w')
    let st: BigIntStats
    try {
      for (const part of parts) {
        const view = new Uint8Array(part.buffer, part.byteOffset, part.byteLength)
        let written = 0
        while (written < view.length) written += (await f.write(view, written, view.length - written)).bytesWritten
      }
      st = await f.stat({ bigint: true })
    } finally {
      await f.close()
    }
    await rm(join(dir, 'int8-index.json'), { force: true })
    await rename(tmp, join(dir, 'int8-index.bin'))
    await writeFile(
      join(dir, 'int8-index.json.tmp'),
      JSON.stringify({ version: INDEX_VERSION, rows: this.rows, dModel: this.dModel, table: stamp }),
    )
    await rename(join(dir, 'int8-index.json.tmp'), join(dir, 'int8-index.json'))
    this.#dir ??= dir
    // the file q came from; a released index's q (with its own per-row parts) is in the file just written as well
    if (!this.#file || (this.#q === null && parts[1] === this.scale)) this.#file = fileId(join(dir, 'int8-index.bin'), st)
  }

  /** The index saved in dir for this table (same manifest stamp and sizes), or undefined. `table`: the table it is loaded for (see `quantised`). */
  static async load(
    dir: string,
    stamp: string,
    rows: number,
    dModel: number,
    scorer: Int8Scorer,
    table?: SenseTable,
  ): Promise<Int8SenseIndex | undefined> {
    let m: { version?: unknown; rows?: unknown; dModel?: unknown; table?: unknown }
    let json: string
    try {
      json = await readFile(join(dir, 'int8-index.json'), 'utf8')
      m = JSON.parse(json) as typeof m
    } catch {
      return undefined
    }
    if (m.version !== INDEX_VERSION || m.rows !== rows || m.dModel !== dModel || m.table !== stamp) return undefined
    // q and the per-row parts in buffers of their own, so that releasing q frees its memory
    const q = new Int8Array(rows * dModel)
    const rest = new ArrayBuffer(rows * 8 * 3 + rows * 4)
    let f
    try {
      f = await open(join(dir, 'int8-index.bin'), 'r')
    } catch {
      return undefined
    }
    let st: BigIntStats
    try {
      st = await f.stat({ bigint: true })
      if (!(await readFully(f, new Uint8Array(q.buffer), 0)) || !(await readFully(f, new Uint8Array(rest), q.length))) return undefined // truncated: rebuild
    } finally {
      await f.close()
    }
    // another process may have saved an index for another table meanwhile: the file read must
    // still be int8-index.bin, and int8-index.json unchanged
    try {
      if (
        (await stat(join(dir, 'int8-index.bin'), { bigint: true })).ino !== st.ino ||
        (await readFile(join(dir, 'int8-index.json'), 'utf8')) !== json
      )
        return undefined
    } catch {
      return undefined
    }
    const scale = new Float64Array(rest, 0, rows)
    const err = new Float64Array(rest, rows * 8, rows)
    const qNorm = new Float64Array(rest, rows * 16, rows)
    const rowSum = new Int32Array(rest, rows * 24, rows)
    return new Int8SenseIndex({ rows, dModel, q, scale, err, qNorm, rowSum }, scorer, dir, fileId(join(dir, 'int8-index.bin'), st), table)
  }

  /**
   * Approximate vec·C_r for every row (rows), with a bound: |vec·C_r − approx_r| ≤ bound_r
   * (the quantisation of both sides, by Cauchy–Schwarz; integer accumulation is exact).
   */
  async scores(vec: Float32Array): Promise<{ approx: Float64Array; bound: Float64Array }> {
    const d = this.dModel
    const n = this.rows
    if (vec.length !== d) throw new WorkbenchError('internal', `int8 index query has ${vec.length} values, expected d_model = ${d}`)
    let mx = 0
    for (let c = 0; c < d; c++) mx = Math.max(mx, Math.abs(vec[c]))
    const t = mx / 127
    const qe = new Uint8Array(d) // q + 128, so the graph needs no zero point
    let en2 = 0
    let qe2 = 0
    for (let c = 0; c < d; c++) {
      const v = t > 0 ? Math.max(-127, Math.min(127, Math.round(vec[c] / t))) : 0
      qe[c] = v + 128
      const diff = vec[c] - t * v
      qe2 += diff * diff
      en2 += vec[c] * vec[c]
    }
    const en = Math.sqrt(en2)
    const eqErr = Math.sqrt(qe2)
    const session = await this.#scoresSession()
    const acc = await this.#scorer.int8Scores(session, qe) // (1, rows): Σ (q_e + 128)·q_r
    const approx = new Float64Array(n)
    const bound = new Float64Array(n)
    for (let r = 0; r < n; r++) {
      approx[r] = this.scale[r] * t * (acc[r] - 128 * this.rowSum[r])
      // (C − s·q)·e + s·q·(e − t·q_e), plus a margin far above float64 rounding of both sides
      bound[r] = (this.err[r] * en + this.qNorm[r] * eqErr) * (1 + 1e-9) + 1e-9 * (this.qNorm[r] + this.err[r]) * en
    }
    return { approx, bound }
  }

  /**
   * The scoring session: `q` is the graph's constant initializer, which onnxruntime packs for its
   * integer GEMM once, at session creation (full size: 1.2–1.7 s when int8-index.bin is linked,
   * ~3.1 s when `q` is written out); fed as a graph input it was packed again on every query (full
   * size: 93–218 ms per query, 29–63 ms now). Once the session holds its packed copy of an
   * unchanged int8-index.bin ('linked'), the index releases its own `q`: the file holds the same
   * bytes, and the table can rebuild them (see `quantised`).
   */
  #scoresSession(): Promise<number> {
    if (!this.#session) {
      this.#session = (async () => {
        const { session, from } = await constantSession(
          this.#scorer,
          await this.quantised(),
          this.rows,
          this.dModel,
          this.#dir ?? tmpdir(),
          this.#file,
        )
        this.#weightsFrom = from
        if (from === 'linked' && this.#table) this.#q = null
        return session
      })()
      this.#session.catch(() => (this.#session = null))
    }
    return this.#session
  }
}

const vi = (name: string, t: number, dims: (number | string)[]) => ({
  name,
  type: { tensorType: { elemType: t, shape: { dim: dims.map((x) => (typeof x === 'string' ? { dimParam: x } : { dimValue: x })) } } },
})

interface FileId {
  path: string
  dev: bigint
  ino: bigint
  size: bigint
  mtimeNs: bigint
  birthtimeNs: bigint
}

function fileId(path: string, st: BigIntStats): FileId {
  return { path, dev: st.dev, ino: st.ino, size: st.size, mtimeNs: st.mtimeNs, birthtimeNs: st.birthtimeNs }
}

function sameFile(a: FileId, b: FileId): boolean {
  return (
    b.ino !== 0n && a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtimeNs === b.mtimeNs && a.birthtimeNs === b.birthtimeNs
  )
}

/**
 * The first `bytes` bytes of `source` when the file open at its path is still that file (the same
 * check as linkUnchanged, on the open handle: what is read is that file's bytes), else undefined.
 */
async function sameFileBytes(source: FileId, bytes: number): Promise<Int8Array | undefined> {
  let f: FileHandle
  try {
    f = await open(source.path, 'r')
  } catch {
    return undefined
  }
  try {
    if (!sameFile(source, fileId(source.path, await f.stat({ bigint: true })))) return undefined
    const q = new Int8Array(bytes)
    return (await readFully(f, new Uint8Array(q.buffer), 0)) ? q : undefined
  } catch {
    return undefined
  } finally {
    await f.close()
  }
}

/**
 * Hard-links `source` as `to` when it is still the file `q` came from: int8-index.bin is never
 * rewritten in place (save renames a finished file over it), so the same inode with the same
 * size, modification and birth times holds the same bytes. Anything else (replaced, another
 * file system, no hard links): false, and nothing is left at `to`.
 */
async function linkUnchanged(source: FileId, to: string): Promise<boolean> {
  try {
    await link(source.path, to)
    if (sameFile(source, fileId(to, await stat(to, { bigint: true })))) return true
  } catch {
    // fall through: write q out instead
  }
  await rm(to, { force: true }).catch(() => undefined)
  return false
}

/**
 * `MatMulInteger` of a (1, d) uint8 with the constant b = q (d, rows) int8 → y (1, rows) int32.
 * onnxruntime reads large initializers only as external data next to the model file, so the
 * model goes to a private temporary folder under `parent` with `q` next to it: a hard link to the
 * int8-index.bin it was read from when that file is unchanged (see linkUnchanged), else a copy
 * written from memory (~2 s more at full size). The engine's worker opens the session (see
 * AuxSessions.openInt8); the folder is removed once the session holds its packed copy.
 */
async function constantSession(
  scorer: Int8Scorer,
  q: Int8Array,
  rows: number,
  d: number,
  parent: string,
  source?: FileId,
): Promise<{ session: number; from: 'linked' | 'written' }> {
  const graph = onnx.GraphProto.create({
    name: 'int8-sense-scores',
    node: [{ opType: 'MatMulInteger', input: ['a', 'b'], output: ['y'] }],
    input: [vi('a', DT.UINT8, [1, d])],
    output: [vi('y', DT.INT32, [1, rows])],
    initializer: [
      {
        name: 'b',
        dims: [d, rows],
        dataType: DT.INT8,
        dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
        externalData: [
          { key: 'location', value: 'b.bin' },
          { key: 'offset', value: '0' },
          { key: 'length', value: String(rows * d) },
        ],
      },
    ],
  })
  const model = onnx.ModelProto.encode(onnx.ModelProto.create({ irVersion: 9, opsetImport: [{ domain: '', version: 17 }], graph })).finish()
  const dir = await mkdtemp(join(parent, 'int8-session-'))
  try {
    const b = join(dir, 'b.bin')
    const from = source && (await linkUnchanged(source, b)) ? 'linked' : 'written'
    if (from === 'written') await writeFile(b, new Uint8Array(q.buffer, q.byteOffset, q.byteLength))
    await writeFile(join(dir, 'scores.onnx'), model)
    return { session: await scorer.openInt8Scores(join(dir, 'scores.onnx')), from }
  } finally {
    await rm(dir, { recursive: true, force: true }).catch(() => undefined) // (a file still open on Windows stays behind)
  }
}

/**
 * The table's int8 index, scored in `scorer` (the engine's worker): kept with the table in memory
 * (`table.int8`, so it goes with the table's model session), read from the table's folder when saved
 * there for the same table manifest, else built once and saved — under the folder's lock, and
 * only while the folder still holds this table (when another process holds the lock, e.g. while
 * it builds the table, the index is not saved this time).
 */
export function int8Index(table: SenseTable, scorer: Int8Scorer): Promise<Int8SenseIndex> {
  let index = table.int8
  if (!index) {
    index = (async () => {
      const n = table.vocabSize * table.numSenses
      let stamp = ''
      try {
        stamp = await readFile(join(table.dir, 'manifest.json'), 'utf8')
      } catch {
        return await Int8SenseIndex.build(table, scorer) // no folder to keep it in
      }
      if (table.stamp && stamp !== table.stamp) return await Int8SenseIndex.build(table, scorer) // the folder holds another table now
      const saved = await Int8SenseIndex.load(table.dir, stamp, n, table.dModel, scorer, table)
      if (saved) return saved
      const built = await Int8SenseIndex.build(table, scorer)
      const lock = await tryFolderLock(table.dir)
      if (lock) {
        try {
          if ((await readFile(join(table.dir, 'manifest.json'), 'utf8').catch(() => '')) === stamp) await built.save(table.dir, stamp)
        } finally {
          await lock.release()
        }
      }
      return built
    })()
    const mine = index
    table.int8 = mine
    mine.catch(() => {
      if (table.int8 === mine) table.int8 = undefined
    })
  }
  return index
}
