import pkg from 'onnx-proto'
import { WorkbenchError } from '../../shared/errors'
import { createSessionFromBytes, floatTensor, runSession, tensorData, type OrtSession } from '../runtime/ort'

const { onnx } = pkg
const DT = onnx.TensorProto.DataType

/**
 * out = base + W·P in float32: base (n, vocab), W (n, r), P (r, vocab) → (n, vocab). One `Gemm`
 * in onnxruntime (JS would take ~1 ns per multiply-add: 29 ms for 32 × 18 × 50264).
 */
export async function addWeightedRows(base: Float32Array, weights: Float32Array, rows: Float32Array, n: number, r: number, vocab: number): Promise<Float32Array> {
  if (base.length !== n * vocab || weights.length !== n * r || rows.length !== r * vocab) {
    throw new WorkbenchError('internal', `addWeightedRows: base ${base.length} ≠ ${n}·${vocab}, weights ${weights.length} ≠ ${n}·${r} or rows ${rows.length} ≠ ${r}·${vocab}`)
  }
  if (n === 0) return new Float32Array(0)
  if (r === 0) return base.slice()
  const out = await runSession(await gemmSession(), 'weighted-rows', {
    w: floatTensor(weights, [n, r]),
    p: floatTensor(rows, [r, vocab]),
    base: floatTensor(base, [n, vocab]),
  })
  return tensorData(out.y)
}

let session: Promise<OrtSession> | null = null
/** Gemm(w (n, r), p (r, vocab), base (n, vocab)) → y (n, vocab): α = β = 1. */
function gemmSession(): Promise<OrtSession> {
  if (!session) {
    const vi = (name: string, dims: string[]) => ({ name, type: { tensorType: { elemType: DT.FLOAT, shape: { dim: dims.map((x) => ({ dimParam: x })) } } } })
    const graph = onnx.GraphProto.create({
      name: 'weighted-rows',
      node: [{ opType: 'Gemm', input: ['w', 'p', 'base'], output: ['y'] }],
      input: [vi('w', ['n', 'r']), vi('p', ['r', 'vocab']), vi('base', ['n', 'vocab'])],
      output: [vi('y', ['n', 'vocab'])],
    })
    const model = onnx.ModelProto.encode(onnx.ModelProto.create({ irVersion: 9, opsetImport: [{ domain: '', version: 17 }], graph })).finish()
    session = createSessionFromBytes(model, 'weighted-rows', { spinning: false })
    session.catch(() => (session = null))
  }
  return session
}
