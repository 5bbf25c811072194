import type pkg from 'onnx-proto'
import { createSessionFromBytes, type OrtSession } from './ort'

/** The protobuf classes and enums of ONNX (loaded with the first helper session, not at worker start). */
export type Onnx = typeof pkg.onnx

/** A small graph: its nodes, and its inputs and outputs as name → symbolic dims (float32 unless an element type is given). */
export interface HelperGraphSpec {
  node: NonNullable<NonNullable<Parameters<Onnx['GraphProto']['create']>[0]>['node']>
  input: [name: string, dims: string[], elemType?: pkg.onnx.TensorProto.DataType][]
  output: [name: string, dims: string[], elemType?: pkg.onnx.TensorProto.DataType][]
}

/**
 * A one-purpose onnxruntime session built from a graph in memory on first use (the score
 * extremes, the re-base Gemm), owned by the engine worker's helpers and released with them. A
 * session that failed to open is retried on the next use. The protobuf writer (onnx-proto) loads
 * with the first session, so starting a worker (and the CLI's `info`) does not load it.
 */
export class HelperGraph {
  #session: Promise<OrtSession> | null = null

  constructor(
    readonly name: string,
    readonly spec: (onnx: Onnx) => HelperGraphSpec,
  ) {}

  session(): Promise<OrtSession> {
    if (!this.#session) {
      const session = import('onnx-proto').then(({ default: { onnx } }) => {
        const { node, input, output } = this.spec(onnx)
        const vi = ([name, dims, elemType]: [string, string[], pkg.onnx.TensorProto.DataType?]) => ({
          name,
          type: {
            tensorType: { elemType: elemType ?? onnx.TensorProto.DataType.FLOAT, shape: { dim: dims.map((x) => ({ dimParam: x })) } },
          },
        })
        const graph = onnx.GraphProto.create({ name: this.name, node, input: input.map(vi), output: output.map(vi) })
        const model = onnx.ModelProto.encode(
          onnx.ModelProto.create({ irVersion: 9, opsetImport: [{ domain: '', version: 17 }], graph }),
        ).finish()
        return createSessionFromBytes(model, this.name, { spinning: false })
      })
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
