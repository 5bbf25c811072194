import { WorkbenchError } from '../../shared/errors'
import type { Onnx } from './helper-graph'
import { createSessionFromBytes, floatTensor, runSession, tensorData, type OrtSession } from './ort'

/**
 * Rows per run and vocabulary columns per tile: each tile's (rows, tile) score block is 4 MB, so
 * the GEMM writes it and the two reductions read it while it is still in cache. One (333, vocab)
 * block per run (64 MB, the previous layout) spent most of its time in memory traffic and page
 * faults: at d_model = 128 the GEMM does only 256 flops per score it writes.
 */
const BLOCK_ROWS = 128
const TILE_VOCAB = 8192

/**
 * max_v and min_v of E·h over the whole vocabulary for many rows h at once (topic control needs
 * them for every C(x)_ℓ, backpack-spec.md §4.3): one in-memory graph with E as constant tiles of
 * vocabulary rows, per tile Gemm(h, E_tile, transB) — the op and operand layout of the exported
 * lm_head, so the scores are the ones `engine.project` returns — then ReduceMax/ReduceMin over
 * the tile, and the max/min of the tiles' results. Exact fp32 (only the GEMM's summation order
 * differs from a plain dot product); only 2·n floats come back to JavaScript instead of an
 * (n, vocab) matrix. E is read once from the engine (vocab·d_model floats) and becomes the
 * session's constant (packed once for the GEMM). Runs in the engine worker
 * (`engine.scoreExtremes`), which owns the instance and its session.
 */
export class ScoreExtremes {
  readonly vocabSize: number
  readonly dModel: number
  /** rows per onnxruntime run */
  readonly blockRows: number
  /** vocabulary rows per Gemm tile */
  readonly tileVocab: number
  #e: Float32Array | null // (vocab, d_model), until the session holds its copy
  #session: Promise<OrtSession> | null = null

  private constructor(e: Float32Array, vocabSize: number, dModel: number, blockRows?: number, tileVocab?: number) {
    this.#e = e
    this.vocabSize = vocabSize
    this.dModel = dModel
    this.blockRows = blockRows ?? BLOCK_ROWS
    this.tileVocab = tileVocab ?? TILE_VOCAB
  }

  /** Reads E from the engine core (all vocab rows). */
  static async create(engine: {
    config: { vocabSize: number; nEmbd: number }
    embeddingRows(ids: readonly number[]): Promise<Float32Array> | Float32Array
  }): Promise<ScoreExtremes> {
    const { vocabSize: V, nEmbd: d } = engine.config
    const e = await engine.embeddingRows(Array.from({ length: V }, (_, i) => i)) // (vocab, d_model)
    if (e.length !== V * d) throw new WorkbenchError('internal', `embedding rows: got ${e.length} values, expected ${V}·${d}`)
    return new ScoreExtremes(e, V, d)
  }

  /** For E as given: (vocab, d_model) float32 (tests; block and tile sizes to exercise). */
  static fromEmbedding(e: Float32Array, vocabSize: number, dModel: number, blockRows?: number, tileVocab?: number): ScoreExtremes {
    if (e.length !== vocabSize * dModel)
      throw new WorkbenchError('internal', `embedding has ${e.length} values, expected ${vocabSize}·${dModel}`)
    return new ScoreExtremes(e, vocabSize, dModel, blockRows, tileVocab)
  }

  /**
   * max and min over the vocabulary of E·h for each of the n rows of `rows` (n, d_model). Runs
   * blocks of `blockRows` rows; checks `signal` between blocks and calls `onBlock(rowsDone)`
   * after each.
   */
  async run(
    rows: Float32Array,
    n: number,
    options: { signal?: AbortSignal; onBlock?: (rowsDone: number) => void } = {},
  ): Promise<{ max: Float32Array; min: Float32Array }> {
    const d = this.dModel
    if (rows.length < n * d) throw new WorkbenchError('internal', `score extremes: ${rows.length} values for ${n} rows of ${d}`)
    const session = await this.#open()
    const max = new Float32Array(n)
    const min = new Float32Array(n)
    for (let r0 = 0; r0 < n; r0 += this.blockRows) {
      if (options.signal?.aborted) throw new WorkbenchError('cancelled', 'score extremes cancelled')
      const m = Math.min(this.blockRows, n - r0)
      const out = await runSession(session, 'sense-score-extremes', { h: floatTensor(rows.subarray(r0 * d, (r0 + m) * d), [m, d]) })
      max.set(tensorData(out.max), r0)
      min.set(tensorData(out.min), r0)
      options.onBlock?.(r0 + m)
    }
    return { max, min }
  }

  #open(): Promise<OrtSession> {
    if (!this.#session) {
      const e = this.#e
      if (!e) throw new WorkbenchError('internal', 'score extremes: released') // never: E goes only once the session exists
      // the protobuf writer loads with the first session, not with the worker (see HelperGraph)
      const session = import('onnx-proto').then(({ default: { onnx } }) =>
        createSessionFromBytes(extremesModel(onnx, e, this.vocabSize, this.dModel, this.tileVocab), 'sense-score-extremes', {
          spinning: false, // the arena (on for every session) reuses the same (rows, tile) blocks every run
        }),
      )
      this.#session = session
      session.then(
        () => (this.#e = null), // the session holds E (packed); a failed open keeps it for the retry
        () => {
          if (this.#session === session) this.#session = null
        },
      )
    }
    return this.#session
  }

  async release(): Promise<void> {
    const session = this.#session
    this.#session = null
    await (await session?.catch(() => null))?.release()
  }
}

/** The score-extremes graph: h (n, d) → max (n), min (n), with E's tiles as initializers. */
function extremesModel(onnx: Onnx, e: Float32Array, V: number, d: number, tile: number): Uint8Array {
  const DT = onnx.TensorProto.DataType
  const ints = (name: string, v: number[]) => ({ name, type: onnx.AttributeProto.AttributeType.INTS, ints: v })
  const int = (name: string, v: number) => ({ name, type: onnx.AttributeProto.AttributeType.INT, i: v })
  const reduce = (op: string, input: string, output: string, keep: number) => ({
    opType: op,
    input: [input],
    output: [output],
    attribute: [ints('axes', [1]), int('keepdims', keep)],
  })
  const node: NonNullable<Parameters<typeof onnx.GraphProto.create>[0]>['node'] = []
  const initializer: NonNullable<Parameters<typeof onnx.GraphProto.create>[0]>['initializer'] = []
  const maxes: string[] = []
  const mins: string[] = []
  for (let j = 0, v0 = 0; v0 < V; j++, v0 += tile) {
    const m = Math.min(tile, V - v0)
    const bytes = new Uint8Array(e.buffer, e.byteOffset + v0 * d * 4, m * d * 4) // (tile, d_model), little-endian floats
    initializer.push({ name: `e${j}`, dims: [m, d], dataType: DT.FLOAT, rawData: bytes })
    node.push({ opType: 'Gemm', input: ['h', `e${j}`], output: [`s${j}`], attribute: [int('transB', 1)] }) // (n, tile)
    node.push(reduce('ReduceMax', `s${j}`, `max${j}`, 1), reduce('ReduceMin', `s${j}`, `min${j}`, 1)) // (n, 1)
    maxes.push(`max${j}`)
    mins.push(`min${j}`)
  }
  node.push({ opType: 'Concat', input: maxes, output: ['maxes'], attribute: [int('axis', 1)] }) // (n, tiles)
  node.push({ opType: 'Concat', input: mins, output: ['mins'], attribute: [int('axis', 1)] })
  node.push(reduce('ReduceMax', 'maxes', 'max', 0), reduce('ReduceMin', 'mins', 'min', 0)) // (n)
  const vi = (name: string, dims: (string | number)[]) => ({
    name,
    type: {
      tensorType: { elemType: DT.FLOAT, shape: { dim: dims.map((x) => (typeof x === 'string' ? { dimParam: x } : { dimValue: x })) } },
    },
  })
  const graph = onnx.GraphProto.create({
    name: 'sense-score-extremes',
    node,
    initializer,
    input: [vi('h', ['n', d])],
    output: [vi('max', ['n']), vi('min', ['n'])],
  })
  return onnx.ModelProto.encode(onnx.ModelProto.create({ irVersion: 9, opsetImport: [{ domain: '', version: 17 }], graph })).finish()
}
