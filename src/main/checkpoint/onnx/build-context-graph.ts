import { GRAPHS } from '../../../shared/model/graph-io'
import { GraphBuilder } from './graph-builder'
import type { ExternalDataFile } from './external-data-file'
import { conv1d, layerNorm, mlp, transpose2d, tensorOf, weightInit, WPE, SENSE_WEIGHT_NET_W, type CheckpointWeights } from './graph-ops'

/** float32 minimum, what HF GPT-2 writes into masked attention scores. */
const F32_MIN = -3.4028234663852886e38

/**
 * The contextualization network (GPT-2, spec §3.2) and the sense weight network (§3.3) with a
 * K/V cache, as one graph. New tokens sit at positions past..past+pos-1; the full pass feeds
 * empty past tensors (past = 0). Outputs the α rows of the new positions and the presents.
 */
export function buildContextGraph(w: CheckpointWeights, data: ExternalDataFile): Uint8Array {
  const c = w.config
  const d = c.nEmbd
  const H = c.nHead
  const hd = d / H
  const k = c.numSenses
  const sd = d / k
  const spec = GRAPHS.context
  const b = new GraphBuilder('backpack_context', data)

  const embeds = b.input(spec.inputs[0], ['pos', d]) // (pos, d_model) = E[x]
  const pastKeys = b.input(spec.inputs[1], [c.nLayer, H, 'past', hd])
  const pastValues = b.input(spec.inputs[2], [c.nLayer, H, 'past', hd])
  const pastSenseKeys = b.input(spec.inputs[3], [k, 'past', sd])

  // positions: past .. total-1 (queries) and 0 .. total-1 (keys)
  const zero = b.constInt64([0], [])
  const one = b.constInt64([1], [])
  const pastLen = b.op('Squeeze', [b.op('Shape', [pastSenseKeys], { start: 1, end: 2 }), b.constInt64([0])]) // scalar
  const newLen = b.op('Squeeze', [b.op('Shape', [embeds], { start: 0, end: 1 }), b.constInt64([0])]) // scalar
  const totalLen = b.op('Add', [pastLen, newLen])
  const qPos = b.op('Range', [pastLen, totalLen, one]) // (pos)
  const kPos = b.op('Range', [zero, totalLen, one]) // (total)
  // masked[i, j] = key j is after query i
  const masked = b.op('Greater', [b.op('Unsqueeze', [kPos, b.constInt64([0])]), b.op('Unsqueeze', [qPos, b.constInt64([1])])]) // (pos, total)

  const P = weightInit(b, w, WPE, [c.nPositions, d])
  let h = b.op('Add', [embeds, b.op('Gather', [P, qPos], { axis: 0 })]) // (pos, d_model)

  const splitQkv = b.constInt64([d, d, d])
  const toHeads = b.constInt64([0, H, hd])
  const fromHeads = b.constInt64([0, d])
  // Additive causal mask (pos, total): 0 where visible, float32 min where not. Adding it equals
  // HF's replacement by finfo.min after the softmax (exp underflows to 0 either way; the diagonal
  // is always visible). It is explicit rather than is_causal so that queries at past..total-1
  // see every cached key, whatever the op's causal alignment.
  const causalAdd = b.op('Where', [masked, b.constFloat([F32_MIN]), b.constFloat([0])]) // (pos, total)
  const axis0 = b.constInt64([0])
  const batch1 = (x: string) => b.op('Unsqueeze', [x, axis0]) // (1, …): the op wants a batch dim
  const presentK: string[] = []
  const presentV: string[] = []
  for (let l = 0; l < c.nLayer; l++) {
    const p = `backpack.gpt2_model.h.${l}`
    const a = layerNorm(b, w, h, `${p}.ln_1`)
    const qkv = conv1d(b, w, a, `${p}.attn.c_attn`, d, 3 * d) // (pos, 3·d_model)
    const [q, kk, v] = b.node('Split', [qkv, splitQkv], { axis: 1 }, 3)
    const heads = (x: string) => b.op('Transpose', [b.op('Reshape', [x, toHeads])], { perm: [1, 0, 2] }) // (head, pos, head_dim)
    // GPT-2 scale with the inverse layer index (spec §7.3), carried by the op's scale attribute
    let scale = 1
    if (c.scaleAttnWeights) scale /= Math.sqrt(hd)
    if (c.scaleAttnByInverseLayerIdx) scale /= l + 1
    const layer = b.constInt64([l])
    const pastK = b.op('Gather', [pastKeys, layer], { axis: 0 }) // (1, head, past, head_dim)
    const pastV = b.op('Gather', [pastValues, layer], { axis: 0 })
    // ONNX Attention (opset 23): softmax(scale·q·kᵀ + mask)·v over [past | new] keys, fused
    const [y, presK, presV] = b.node(
      'Attention',
      [batch1(heads(q)), batch1(heads(kk)), batch1(heads(v)), causalAdd, pastK, pastV],
      { scale: { float: scale }, is_causal: 0 },
      3,
    )
    presentK.push(presK) // (1, head, total, head_dim)
    presentV.push(presV)
    const attn = b.op('Reshape', [b.op('Transpose', [b.op('Squeeze', [y, axis0])], { perm: [1, 0, 2] }), fromHeads]) // (pos, d_model)
    h = b.op('Add', [h, conv1d(b, w, attn, `${p}.attn.c_proj`, d, d)])
    const m = layerNorm(b, w, h, `${p}.ln_2`)
    h = b.op('Add', [h, mlp(b, w, m, `${p}.mlp`, d, c.nInner, d)])
  }
  b.op('Concat', presentK, { axis: 0 }, spec.outputs[1].name)
  b.op('Concat', presentV, { axis: 0 }, spec.outputs[2].name)
  const hidden = layerNorm(b, w, h, 'backpack.gpt2_model.ln_f') // (pos, d_model)

  // sense weight net: nn.Linear [2d, d] → stored transposed [d, 2d] for MatMul
  const swName = 'backpack.sense_weight_net.c_attn'
  const swW = b.weight(`${SENSE_WEIGHT_NET_W}:T`, [d, 2 * d], transpose2d(tensorOf(w, SENSE_WEIGHT_NET_W, [2 * d, d]), 2 * d, d))
  const swB = weightInit(b, w, `${swName}.bias`, [2 * d])
  const z = b.op('Add', [b.op('MatMul', [hidden, swW]), swB]) // (pos, 2·d_model)
  const [zq, zk] = b.node('Split', [z, b.constInt64([d, d])], { axis: 1 }, 2)
  const senseHeads = b.constInt64([0, k, sd])
  const sq = b.op('Transpose', [b.op('Reshape', [zq, senseHeads])], { perm: [1, 0, 2] }) // (sense, pos, sense_dim)
  const sk = b.op('Transpose', [b.op('Reshape', [zk, senseHeads])], { perm: [1, 0, 2] })
  const KS = b.op('Concat', [pastSenseKeys, sk], { axis: 1 }, spec.outputs[3].name) // (sense, total, sense_dim)
  const s = b.op('Mul', [b.op('MatMul', [sq, b.op('Transpose', [KS], { perm: [0, 2, 1] })]), b.constFloat([1 / Math.sqrt(sd)])]) // (sense, pos, total)
  // HF adds -10000 above the diagonal (not -inf)
  const penalty = b.op('Mul', [b.op('Cast', [masked], { to: 1 }), b.constFloat([-10000])])
  b.op('Softmax', [b.op('Add', [s, penalty])], { axis: -1 }, spec.outputs[0].name)

  b.output(spec.outputs[0], [k, 'pos', 'total'])
  b.output(spec.outputs[1], [c.nLayer, H, 'total', hd])
  b.output(spec.outputs[2], [c.nLayer, H, 'total', hd])
  b.output(spec.outputs[3], [k, 'total', sd])
  return b.encode(spec.doc)
}
