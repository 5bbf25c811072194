import pkg from 'onnx-proto'
import { createSessionFromBytes, type OrtSession } from './ort'

const { onnx } = pkg

/** A small graph: its nodes, and its inputs and outputs as name → symbolic dims (float32 unless an element type is given). */
export interface HelperGraphSpec {
  node: NonNullable<NonNullable<Parameters<typeof onnx.GraphProto.create>[0]>['node']>
  input: [name: string, dims: string[], elemType?: onnx.TensorProto.DataType][]
  output: [name: string, dims: string[], elemType?: onnx.TensorProto.DataType][]
}

/**
 * A one-purpose onnxruntime session built from a graph in memory on first use (the score
 * extremes, the re-base Gemm), owned by the engine worker's helpers and released with them. A
 * session that failed to open is retried on the next use.
 */
export class HelperGraph {
  #session: Promise<OrtSession> | null = null

  constructor(
    readonly name: string,
    readonly spec: () => HelperGraphSpec,
  ) {}

  session(): Promise<OrtSession> {
    if (!this.#session) {
      const { node, input, output } = this.spec()
      const vi = ([name, dims, elemType]: [string, string[], onnx.TensorProto.DataType?]) => ({
        name,
        type: { tensorType: { elemType: elemType ?? onnx.TensorProto.DataType.FLOAT, shape: { dim: dims.map((x) => ({ dimParam: x })) } } },
      })
      const graph = onnx.GraphProto.create({ name: this.name, node, input: input.map(vi), output: output.map(vi) })
      const model = onnx.ModelProto.encode(
        onnx.ModelProto.create({ irVersion: 9, opsetImport: [{ domain: '', version: 17 }], graph }),
      ).finish()
      const session = createSessionFromBytes(model, this.name, { spinning: false })
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
