import pkg from 'onnx-proto'
import { WorkbenchError } from '../../shared/errors'
import { createSessionFromBytes, floatTensor, runSession, tensorData, type OrtSession } from './ort'

const { onnx } = pkg
const DT = onnx.TensorProto.DataType

/**
 * out = base + W·P in float32: base (n, vocab), W (n, r), P (r, vocab) → (n, vocab). One `Gemm`
 * in onnxruntime (JS would take ~1 ns per multiply-add: 29 ms for 32 × 18 × 50264). Lives in the
 * engine worker (see engine-methods.ts), which owns its session.
 */
export class WeightedRows {
  #session: Promise<OrtSession> | null = null

  async run(base: Float32Array, weights: Float32Array, rows: Float32Array, n: number, r: number, vocab: number): Promise<Float32Array> {
    if (base.length !== n * vocab || weights.length !== n * r || rows.length !== r * vocab) {
      throw new WorkbenchError('internal', `addWeightedRows: base ${base.length} ≠ ${n}·${vocab}, weights ${weights.length} ≠ ${n}·${r} or rows ${rows.length} ≠ ${r}·${vocab}`)
    }
    if (n === 0) return new Float32Array(0)
    if (r === 0) return base.slice()
    const out = await runSession(await this.#gemm(), 'weighted-rows', {
      w: floatTensor(weights, [n, r]),
      p: floatTensor(rows, [r, vocab]),
      base: floatTensor(base, [n, vocab]),
    })
    return tensorData(out.y)
  }

  /** Gemm(w (n, r), p (r, vocab), base (n, vocab)) → y (n, vocab): α = β = 1. */
  #gemm(): Promise<OrtSession> {
    if (!this.#session) {
      const vi = (name: string, dims: string[]) => ({ name, type: { tensorType: { elemType: DT.FLOAT, shape: { dim: dims.map((x) => ({ dimParam: x })) } } } })
      const graph = onnx.GraphProto.create({
        name: 'weighted-rows',
        node: [{ opType: 'Gemm', input: ['w', 'p', 'base'], output: ['y'] }],
        input: [vi('w', ['n', 'r']), vi('p', ['r', 'vocab']), vi('base', ['n', 'vocab'])],
        output: [vi('y', ['n', 'vocab'])],
      })
      const model = onnx.ModelProto.encode(onnx.ModelProto.create({ irVersion: 9, opsetImport: [{ domain: '', version: 17 }], graph })).finish()
      const session = createSessionFromBytes(model, 'weighted-rows', { spinning: false })
      this.#session = session
      session.catch(() => {
        if (this.#session === session) this.#session = null
      })
    }
    return this.#session
  }

  async release(): Promise<void> {
    const session = this.#session
    this.#session = null
    await (await session?.catch(() => null))?.release()
  }
}
