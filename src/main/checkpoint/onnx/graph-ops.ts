import type { BackpackConfig } from '../../../shared/model/config'
import type { GraphBuilder } from './graph-builder'

/** A checkpoint's tensors by canonical name (backpack-spec.md §2.2), float32 row-major. */
export interface CheckpointWeights {
  config: BackpackConfig
  tensors: ReadonlyMap<string, { shape: readonly number[]; data: Float32Array }>
}

/** Canonical names of the two embedding matrices (each stored once). */
export const WTE = 'backpack.gpt2_model.wte.weight'
export const WPE = 'backpack.gpt2_model.wpe.weight'
/** The one weight whose values the graph builders read (to transpose it); every other weight is only placed in the data file. */
export const SENSE_WEIGHT_NET_W = 'backpack.sense_weight_net.c_attn.weight'

/** Reads a weight and checks its shape; the checkpoint reader has validated names already. */
export function tensorOf(w: CheckpointWeights, name: string, shape: number[]): Float32Array {
  const t = w.tensors.get(name)
  if (!t) throw new Error(`weight "${name}" is missing`)
  if (t.shape.length !== shape.length || t.shape.some((s, i) => s !== shape[i])) {
    throw new Error(`weight "${name}" has shape [${t.shape.join(', ')}], expected [${shape.join(', ')}]`)
  }
  return t.data
}

/** Adds a checkpoint tensor as an external initializer. */
export function weightInit(b: GraphBuilder, w: CheckpointWeights, name: string, shape: number[]): string {
  return b.weight(name, shape, tensorOf(w, name, shape))
}

/** LayerNormalization over the last dim with the config's eps. `prefix` names `.weight`/`.bias`. */
export function layerNorm(b: GraphBuilder, w: CheckpointWeights, x: string, prefix: string): string {
  const d = w.config.nEmbd
  const gamma = weightInit(b, w, `${prefix}.weight`, [d])
  const beta = weightInit(b, w, `${prefix}.bias`, [d])
  return b.op('LayerNormalization', [x, gamma, beta], { axis: -1, epsilon: { float: w.config.layerNormEpsilon } })
}

/** HF Conv1D: y = x·W + b with W stored [in, out]. */
export function conv1d(b: GraphBuilder, w: CheckpointWeights, x: string, prefix: string, nIn: number, nOut: number): string {
  const weight = weightInit(b, w, `${prefix}.weight`, [nIn, nOut])
  const bias = weightInit(b, w, `${prefix}.bias`, [nOut])
  return b.op('Add', [b.op('MatMul', [x, weight]), bias])
}

/** gelu_new: the tanh approximation (spec §7.8), as the opset-20 Gelu op. */
export function geluNew(b: GraphBuilder, x: string): string {
  return b.op('Gelu', [x], { approximate: 'tanh' })
}

/** MLP block c_fc → gelu_new → c_proj (Conv1D layouts). */
export function mlp(b: GraphBuilder, w: CheckpointWeights, x: string, prefix: string, nIn: number, nHidden: number, nOut: number): string {
  const h = geluNew(b, conv1d(b, w, x, `${prefix}.c_fc`, nIn, nHidden))
  return conv1d(b, w, h, `${prefix}.c_proj`, nHidden, nOut)
}

/** [rows, cols] → [cols, rows] copy (used once at conversion for nn.Linear weights). */
export function transpose2d(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length)
  for (let r = 0; r < rows; r++) {
    const base = r * cols
    for (let c = 0; c < cols; c++) out[c * rows + r] = data[base + c]
  }
  return out
}
