import { GRAPHS } from '../../../shared/model/graph-io'
import { GraphBuilder } from './graph-builder'
import type { ExternalDataFile } from './external-data-file'
import { layerNorm, mlp, type CheckpointWeights } from './graph-ops'

/**
 * The sense network C(x) (backpack-spec.md §3.1), per token id:
 * e = E[x] (an input); r = e + LN(e); r = r + MLP(LN_1(r)); C = final_mlp(LN_2(r)) split into k chunks of d.
 */
export function buildSensesGraph(w: CheckpointWeights, data: ExternalDataFile): Uint8Array {
  const { nEmbd: d, numSenses: k, senseIntermediateScale } = w.config
  const spec = GRAPHS.senses
  const b = new GraphBuilder('backpack_senses', data)
  const e = b.input(spec.inputs[0], ['n', d]) // (n, d_model) = E[x]
  const u = layerNorm(b, w, e, 'backpack.sense_network.ln')
  let r = b.op('Add', [e, u])
  const h = layerNorm(b, w, r, 'backpack.sense_network.block.ln_1')
  r = b.op('Add', [r, mlp(b, w, h, 'backpack.sense_network.block.mlp', d, 4 * d, d)])
  const g = layerNorm(b, w, r, 'backpack.sense_network.block.ln_2')
  const c = mlp(b, w, g, 'backpack.sense_network.final_mlp', d, senseIntermediateScale * d, k * d) // (n, sense·d_model)
  b.op('Reshape', [c, b.constInt64([-1, k, d])], {}, spec.outputs[0].name) // (n, sense, d_model)
  b.output(spec.outputs[0], ['n', k, d])
  return b.encode(spec.doc)
}
