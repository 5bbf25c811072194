import { WorkbenchError } from '../../shared/errors'
import { HelperGraph } from './helper-graph'
import { floatTensor, runSession, tensorData } from './ort'

/**
 * out = base + W·P in float32: base (n, vocab), W (n, r), P (r, vocab) → (n, vocab). One `Gemm`
 * in onnxruntime (JS would take ~1 ns per multiply-add: 29 ms for 32 × 18 × 50264). Lives in the
 * engine worker (see engine-methods.ts), which owns its session.
 */
export class WeightedRows {
  /** Gemm(w (n, r), p (r, vocab), base (n, vocab)) → y (n, vocab): α = β = 1. */
  readonly #gemm = new HelperGraph('weighted-rows', () => ({
    node: [{ opType: 'Gemm', input: ['w', 'p', 'base'], output: ['y'] }],
    input: [
      ['w', ['n', 'r']],
      ['p', ['r', 'vocab']],
      ['base', ['n', 'vocab']],
    ],
    output: [['y', ['n', 'vocab']]],
  }))

  async run(base: Float32Array, weights: Float32Array, rows: Float32Array, n: number, r: number, vocab: number): Promise<Float32Array> {
    if (base.length !== n * vocab || weights.length !== n * r || rows.length !== r * vocab) {
      throw new WorkbenchError(
        'internal',
        `addWeightedRows: base ${base.length} ≠ ${n}·${vocab}, weights ${weights.length} ≠ ${n}·${r} or rows ${rows.length} ≠ ${r}·${vocab}`,
      )
    }
    if (n === 0) return new Float32Array(0)
    if (r === 0) return base.slice()
    const out = await runSession(await this.#gemm.session(), 'weighted-rows', {
      w: floatTensor(weights, [n, r]),
      p: floatTensor(rows, [r, vocab]),
      base: floatTensor(base, [n, vocab]),
    })
    return tensorData(out.y)
  }

  async release(): Promise<void> {
    await this.#gemm.release()
  }
}
