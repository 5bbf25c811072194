import pkg from 'onnx-proto'
import type { TensorSpec } from '../../../shared/model/graph-io'
import { EXTERNAL_DATA_FILE, type ExternalDataFile } from './external-data-file'

const { onnx } = pkg

/** ONNX opset the graphs use: 23 for Attention (scale attribute, past/present K/V), 20+ for Gelu(approximate="tanh"), 17+ for LayerNormalization. */
export const OPSET = 23
const IR_VERSION = 11

type AttrValue = number | string | number[] | { ints: number[] } | { float: number }

const DT = onnx.TensorProto.DataType

/**
 * A small ONNX graph builder: named values, nodes with attributes, small constants inline and
 * weights as external data in the shared data file. Value names are unique per graph.
 */
export class GraphBuilder {
  readonly #nodes: pkg.onnx.INodeProto[] = []
  readonly #initializers: pkg.onnx.ITensorProto[] = []
  readonly #initNames = new Set<string>()
  readonly #inputs: pkg.onnx.IValueInfoProto[] = []
  readonly #outputs: pkg.onnx.IValueInfoProto[] = []
  #counter = 0

  constructor(
    readonly name: string,
    private readonly data: ExternalDataFile | null,
  ) {}

  /** A fresh value name with a readable prefix. */
  fresh(prefix: string): string {
    return `${prefix}_${this.#counter++}`
  }

  input(spec: TensorSpec, dims: (number | string)[]): string {
    this.#inputs.push(valueInfo(spec.name, spec.dtype, dims))
    return spec.name
  }

  output(spec: TensorSpec, dims: (number | string)[]): void {
    this.#outputs.push(valueInfo(spec.name, spec.dtype, dims))
  }

  /** A float32 weight stored in the external data file under `key` (written once per export). */
  weight(key: string, dims: number[], data: Float32Array): string {
    if (!this.data) throw new Error(`graph ${this.name} has no external data file for weight ${key}`)
    const name = key
    if (this.#initNames.has(name)) return name
    const ref = this.data.write(key, data)
    this.#initializers.push({
      name,
      dims,
      dataType: DT.FLOAT,
      dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
      externalData: [
        { key: 'location', value: EXTERNAL_DATA_FILE },
        { key: 'offset', value: String(ref.offset) },
        { key: 'length', value: String(ref.length) },
      ],
    })
    this.#initNames.add(name)
    return name
  }

  /** A small inline constant (scalars, shapes, indices). */
  constInt64(values: number[], dims: number[] = [values.length]): string {
    const name = this.fresh('c')
    this.#initializers.push({ name, dims, dataType: DT.INT64, int64Data: values })
    this.#initNames.add(name)
    return name
  }

  constFloat(values: number[], dims: number[] = []): string {
    const name = this.fresh('c')
    this.#initializers.push({ name, dims, dataType: DT.FLOAT, floatData: values })
    this.#initNames.add(name)
    return name
  }

  /** Adds a node; returns its output names (`outputs` fresh names unless given). */
  node(op: string, inputs: string[], attrs: Record<string, AttrValue> = {}, outputs: number | string[] = 1, domain = ''): string[] {
    const outs = typeof outputs === 'number' ? Array.from({ length: outputs }, () => this.fresh(op.toLowerCase())) : outputs
    this.#nodes.push({
      opType: op,
      domain,
      name: this.fresh(`n_${op}`),
      input: inputs,
      output: outs,
      attribute: Object.entries(attrs).map(([name, v]) => attribute(name, v)),
    })
    return outs
  }

  /** Single-output shorthand. */
  op(op: string, inputs: string[], attrs: Record<string, AttrValue> = {}, output?: string): string {
    return this.node(op, inputs, attrs, output ? [output] : 1)[0]
  }

  /** Encodes the model (weights stay in the external data file). */
  encode(docString: string): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: IR_VERSION,
      producerName: 'backpack-workbench',
      producerVersion: '1',
      docString,
      opsetImport: [{ domain: '', version: OPSET }],
      graph: {
        name: this.name,
        node: this.#nodes,
        initializer: this.#initializers,
        input: this.#inputs,
        output: this.#outputs,
      },
    })
    return onnx.ModelProto.encode(model).finish()
  }
}

function valueInfo(name: string, dtype: TensorSpec['dtype'], dims: (number | string)[]): pkg.onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: dtype === 'float32' ? DT.FLOAT : DT.INT64,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  }
}

function attribute(name: string, v: AttrValue): pkg.onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType
  if (typeof v === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(v) }
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) throw new Error(`attribute ${name}: use { float } for non-integers`)
    return { name, type: T.INT, i: v }
  }
  if (Array.isArray(v)) return { name, type: T.INTS, ints: v }
  if ('ints' in v) return { name, type: T.INTS, ints: v.ints }
  return { name, type: T.FLOAT, f: v.float }
}
