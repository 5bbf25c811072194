import { GRAPHS } from '../../../shared/model/graph-io'
import type { BackpackConfig } from '../../../shared/model/config'
import { GraphBuilder } from './graph-builder'
import type { ExternalDataFile } from './external-data-file'
import { weightInit, WTE, type CheckpointWeights } from './graph-ops'

/**
 * The combine step without weights (spec §3.4): hidden[q] = Σ_ℓ Σ_j α[ℓ,q,j]·scale[ℓ,j]·C_ℓ(x_j).
 * The scale multiplies α (cheaper than the senses when query < d), then one GEMM over (sense, pos).
 */
export function buildMixGraph(config: BackpackConfig): Uint8Array {
  const { numSenses: k, nEmbd: d } = config
  const spec = GRAPHS.mix
  const b = new GraphBuilder('backpack_mix', null)
  const senses = b.input(spec.inputs[0], [k, 'pos', d])
  const alpha = b.input(spec.inputs[1], [k, 'query', 'pos'])
  const scale = b.input(spec.inputs[2], [k, 'pos'])
  const scaled = b.op('Mul', [alpha, b.op('Unsqueeze', [scale, b.constInt64([1])])]) // (sense, query, pos)
  const rows = b.op('Reshape', [b.op('Transpose', [scaled], { perm: [1, 0, 2] }), b.constInt64([0, -1])]) // (query, sense·pos)
  const flat = b.op('Reshape', [senses, b.constInt64([-1, d])]) // (sense·pos, d_model)
  b.op('MatMul', [rows, flat], {}, spec.outputs[0].name) // (query, d_model)
  b.output(spec.outputs[0], ['query', d])
  return b.encode(spec.doc)
}

/** The tied LM head: logits = hidden · Eᵀ, as Gemm(transB) on the stored [vocab, d] E. */
export function buildLmHeadGraph(w: CheckpointWeights, data: ExternalDataFile): Uint8Array {
  const { vocabSize: V, nEmbd: d } = w.config
  const spec = GRAPHS.lm_head
  const b = new GraphBuilder('backpack_lm_head', data)
  const hidden = b.input(spec.inputs[0], ['n', d])
  const E = weightInit(b, w, WTE, [V, d])
  b.op('Gemm', [hidden, E], { transB: 1 }, spec.outputs[0].name) // (n, vocab)
  b.output(spec.outputs[0], ['n', V])
  return b.encode(spec.doc)
}
