import { WorkbenchError } from '../../shared/errors'
import { HelperGraph } from './helper-graph'
import { floatTensor, runSession, tensorData } from './ort'

/** Rows per run: the (rows, vocab) score block onnxruntime keeps between the GEMM and the reductions stays ≤ 2^24 floats (64 MB; 333 rows at full size — 256 to 2048 rows measured the same speed). */
const BLOCK_FLOATS = 2 ** 24

/**
 * max_v and min_v of E·h over the whole vocabulary for many rows h at once (topic control needs
 * them for every C(x)_ℓ, backpack-spec.md §4.3): one in-memory graph, Gemm(h, E, transB) — the op
 * and operand layout of the exported lm_head, so the scores are the ones `engine.project` returns —
 * then ReduceMax/ReduceMin over the vocabulary inside onnxruntime. Exact fp32 (only the GEMM's
 * summation order differs from a plain dot product); only 2·n floats come back to JavaScript
 * instead of an (n, vocab) matrix. E is read once from the engine (vocab·d_model floats). Runs in
 * the engine worker (`engine.scoreExtremes`), which owns the instance and its session.
 */
export class ScoreExtremes {
  readonly vocabSize: number
  readonly dModel: number
  /** rows per onnxruntime run */
  readonly blockRows: number
  readonly #e: Float32Array // (vocab, d_model)
  /** h (n, d) · e (vocab, d)ᵀ → max (n), min (n); the (n, vocab) scores never leave onnxruntime. */
  readonly #extremes = new HelperGraph('sense-score-extremes', (onnx) => {
    const reduce = (op: string, out: string) => ({
      opType: op,
      input: ['s'],
      output: [out],
      attribute: [
        { name: 'axes', type: onnx.AttributeProto.AttributeType.INTS, ints: [1] },
        { name: 'keepdims', type: onnx.AttributeProto.AttributeType.INT, i: 0 },
      ],
    })
    return {
      node: [
        {
          opType: 'Gemm',
          input: ['h', 'e'],
          output: ['s'],
          attribute: [{ name: 'transB', type: onnx.AttributeProto.AttributeType.INT, i: 1 }],
        },
        reduce('ReduceMax', 'max'),
        reduce('ReduceMin', 'min'),
      ],
      input: [
        ['h', ['n', 'd']],
        ['e', ['vocab', 'd']],
      ],
      output: [
        ['max', ['n']],
        ['min', ['n']],
      ],
    }
  })

  private constructor(e: Float32Array, vocabSize: number, dModel: number, blockRows?: number) {
    this.#e = e
    this.vocabSize = vocabSize
    this.dModel = dModel
    this.blockRows = blockRows ?? Math.max(16, Math.floor(BLOCK_FLOATS / vocabSize))
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

  /** For E as given: (vocab, d_model) float32 (tests). */
  static fromEmbedding(e: Float32Array, vocabSize: number, dModel: number, blockRows?: number): ScoreExtremes {
    if (e.length !== vocabSize * dModel)
      throw new WorkbenchError('internal', `embedding has ${e.length} values, expected ${vocabSize}·${dModel}`)
    return new ScoreExtremes(e, vocabSize, dModel, blockRows)
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
    const session = await this.#extremes.session()
    const e = floatTensor(this.#e, [this.vocabSize, d])
    const max = new Float32Array(n)
    const min = new Float32Array(n)
    for (let r0 = 0; r0 < n; r0 += this.blockRows) {
      if (options.signal?.aborted) throw new WorkbenchError('cancelled', 'score extremes cancelled')
      const m = Math.min(this.blockRows, n - r0)
      const out = await runSession(session, 'sense-score-extremes', { h: floatTensor(rows.subarray(r0 * d, (r0 + m) * d), [m, d]), e })
      max.set(tensorData(out.max), r0)
      min.set(tensorData(out.min), r0)
      options.onBlock?.(r0 + m)
    }
    return { max, min }
  }

  async release(): Promise<void> {
    await this.#extremes.release()
  }
}
