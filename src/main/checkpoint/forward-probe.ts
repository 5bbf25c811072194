import { WorkbenchError } from '../../shared/errors'
import type { BackpackConfig } from '../../shared/model/config'
import { PROBE_VERSION, type ProbeVerdict } from './probe-verdict'
import { BLOCK_FLOATS, F32_MAX, maxAbs, ProbeOps, ProbeOverflow, type Act, type WeightRows } from './probe-ops'

export { hasProbeVerdict, PROBE_VERSION, recordProbeVerdict, type ProbeVerdict } from './probe-verdict'

/**
 * The overflow probe: finite weights can still drive the forward pass out of float32 range (50
 * weights set to 3e38 make every logit NaN). At conversion the model runs a short probe input
 * through a plain float32 evaluation of backpack-spec.md §3 (probe-ops.ts) in forward order:
 * sense network, GPT-2, sense weight net, combine, LM head. The first intermediate that leaves
 * float32 range refuses the checkpoint (`checkpoint-values`), naming the tensor responsible.
 *
 * The probe input is chosen from the weights so that outsized embedding rows are on its path:
 * the BOS id and the word-embedding rows of largest norm, at position 0 and the position rows
 * of largest norm. Every other weight is used by every token. The verdict is recorded in the
 * export's manifest, so a cached load does not run it again.
 */

/** Probe length: BOS plus this many outsized rows (fewer for tiny configs). */
const EXTRA_ROWS = 3

/**
 * The weights by canonical name; `rows` (optional, else views of `data`): blocks of rows of a
 * matrix, which the probe reads matrices through (a streamed checkpoint reads them from the file
 * into one reused buffer), asking `tensors` only for vectors and for the error message.
 */
export interface ProbeWeights {
  config: BackpackConfig
  tensors: { get(name: string): { shape: readonly number[]; data: Float32Array } | undefined }
  rows?: WeightRows
  /** values per block of rows read through `rows` (default BLOCK_FLOATS: 4 MB) */
  blockFloats?: number
}

const WTE = 'backpack.gpt2_model.wte.weight'
const WPE = 'backpack.gpt2_model.wpe.weight'

/** Indices of the `count` rows of largest Euclidean norm, excluding `skip`. */
function largestRows(
  read: (first: number, count: number) => Float32Array,
  rows: number,
  cols: number,
  count: number,
  skip: number,
  block: number,
): number[] {
  const norms: Array<[number, number]> = []
  const per = Math.max(1, Math.floor(block / cols))
  for (let r0 = 0; r0 < rows; r0 += per) {
    const data = read(r0, Math.min(per, rows - r0))
    for (let r = r0; r < Math.min(rows, r0 + per); r++) {
      if (r === skip) continue
      let s = 0
      for (let c = (r - r0) * cols, end = c + cols; c < end; c++) s += data[c] * data[c]
      norms.push([s, r])
    }
  }
  return norms
    .sort((a, b) => b[0] - a[0] || a[1] - b[1])
    .slice(0, count)
    .map(([, r]) => r)
}

/** The probe's ids and positions for these weights. */
export function probeInput(w: ProbeWeights): { ids: number[]; positions: number[] } {
  const c = w.config
  const d = c.nEmbd
  const bos = c.bosTokenId >= 0 && c.bosTokenId < c.vocabSize ? c.bosTokenId : 0
  const n = Math.min(EXTRA_ROWS, c.vocabSize - 1, c.nPositions - 1)
  const rows = rowsOf(w)
  const ids = [bos, ...largestRows((first, count) => rows(WTE, first, count, d), c.vocabSize, d, n, bos, w.blockFloats ?? BLOCK_FLOATS)]
  const positions = [
    0,
    ...largestRows((first, count) => rows(WPE, first, count, d), c.nPositions, d, n, 0, w.blockFloats ?? BLOCK_FLOATS).sort(
      (a, b) => a - b,
    ),
  ]
  return { ids, positions }
}

function tensorData(w: ProbeWeights, name: string): Float32Array {
  const t = w.tensors.get(name)
  if (!t) throw new WorkbenchError('checkpoint-shape', `tensor ${name} is missing`)
  return t.data
}

function rowsOf(w: ProbeWeights): WeightRows {
  return w.rows ?? ((name, first, count, cols) => tensorData(w, name).subarray(first * cols, (first + count) * cols))
}

/** Runs the probe; throws `checkpoint-values` naming the tensor when it overflows float32. */
export function forwardProbe(w: ProbeWeights, checkAbort: () => void = () => {}): ProbeVerdict {
  const { ids, positions } = probeInput(w)
  try {
    const logits = probeLogits(w, ids, positions, checkAbort)
    return { version: PROBE_VERSION, ids, positions, maxAbsLogit: maxAbs(logits) }
  } catch (e) {
    if (!(e instanceof ProbeOverflow)) throw e
    const t = w.tensors.get(e.tensor)
    const where = t ? `; its largest |value| is ${maxAbs(t.data).toExponential(3)}` : ''
    throw new WorkbenchError(
      'checkpoint-values',
      `tensor ${e.tensor} drives the forward pass out of float32 range: on the probe ids [${ids.join(', ')}] at positions [${positions.join(', ')}], ${e.op} overflows${where}. ` +
        'The weights are finite but the logits would be non-finite (or meaningless); the checkpoint is refused',
      { cause: e },
    )
  }
}

/** The probe's float32 evaluation of the logits (pos, vocab) for `ids` at `positions`; throws ProbeOverflow. */
export function probeLogits(
  w: ProbeWeights,
  ids: readonly number[],
  positions: readonly number[],
  checkAbort: () => void = () => {},
): Float32Array {
  const c = w.config
  const d = c.nEmbd
  const k = c.numSenses
  const T = ids.length
  const ops = new ProbeOps((name) => tensorData(w, name), c.layerNormEpsilon, rowsOf(w), w.blockFloats)
  const mlp = (x: Act, p: string, hidden: number, out: number): Act =>
    ops.matmul(ops.gelu(ops.matmul(x, `${p}.c_fc.weight`, hidden, `${p}.c_fc.bias`)), `${p}.c_proj.weight`, out, `${p}.c_proj.bias`)

  // sense network (§3.1): C(x) for each probe token, (pos, sense·d_model)
  const sn = 'backpack.sense_network'
  const e = ops.gather(WTE, ids, d)
  let r = ops.add(e, ops.layerNorm(e, `${sn}.ln`), `the residual after ${sn}.ln`)
  r = ops.add(r, mlp(ops.layerNorm(r, `${sn}.block.ln_1`), `${sn}.block.mlp`, 4 * d, d), `the residual after ${sn}.block.mlp`)
  const senses = mlp(ops.layerNorm(r, `${sn}.block.ln_2`), `${sn}.final_mlp`, c.senseIntermediateScale * d, k * d)
  checkAbort()

  // GPT-2 (§3.2), (pos, d_model)
  let h = ops.add(e, ops.gather(WPE, positions, d), 'the input embeddings E[x] + P[p]')
  const H = c.nHead
  const hd = d / H
  for (let l = 0; l < c.nLayer; l++) {
    const p = `backpack.gpt2_model.h.${l}`
    const qkv = ops.matmul(ops.layerNorm(h, `${p}.ln_1`), `${p}.attn.c_attn.weight`, 3 * d, `${p}.attn.c_attn.bias`)
    let scale = 1
    if (c.scaleAttnWeights) scale /= Math.sqrt(hd)
    if (c.scaleAttnByInverseLayerIdx) scale /= l + 1
    const merged = new Float32Array(T * d)
    for (let head = 0; head < H; head++) {
      const { out } = ops.attend(qkv, head * hd, qkv, d + head * hd, hd, scale, -Infinity, qkv, 2 * d + head * hd, `${p}.attn head ${head}`)
      for (let t = 0; t < T; t++) merged.set(Float32Array.from(out!.subarray(t * hd, (t + 1) * hd)), t * d + head * hd)
    }
    const attn = ops.matmul({ ...qkv, data: merged, cols: d }, `${p}.attn.c_proj.weight`, d, `${p}.attn.c_proj.bias`)
    h = ops.add(h, attn, `the residual after ${p}.attn`)
    h = ops.add(h, mlp(ops.layerNorm(h, `${p}.ln_2`), `${p}.mlp`, c.nInner, d), `the residual after ${p}.mlp`)
    checkAbort()
  }
  const hidden = ops.layerNorm(h, 'backpack.gpt2_model.ln_f')

  // sense weight net (§3.3): α (sense, pos, pos); nn.Linear layout
  const z = ops.matmul(hidden, 'backpack.sense_weight_net.c_attn.weight', 2 * d, 'backpack.sense_weight_net.c_attn.bias', true)
  const sd = d / k
  const alphas = Array.from(
    { length: k },
    (_, s) => ops.attend(z, s * sd, z, d + s * sd, sd, 1 / Math.sqrt(sd), -10000, null, 0, `the sense weight net, sense ${s}`).alpha,
  )

  // combine (§3.4): o_i = Σ_ℓ Σ_j α[ℓ,i,j]·C(x_j)_ℓ; every sum of absolute terms must fit float32
  const o = new Float64Array(T * d)
  for (let i = 0; i < T; i++) {
    for (let x = 0; x < d; x++) {
      let s = 0
      let abs = 0
      for (let l = 0; l < k; l++) {
        for (let j = 0; j <= i; j++) {
          const term = alphas[l][i * T + j] * senses.data[j * k * d + l * d + x]
          s += term
          abs += Math.abs(term)
        }
      }
      if (abs > F32_MAX || !Number.isFinite(Math.fround(s)))
        throw new ProbeOverflow(senses.source ?? senses.producer, 'the sum of the senses weighted by α')
      o[i * d + x] = s
    }
  }
  const combined: Act = { data: Float32Array.from(o), rows: T, cols: d, source: senses.source, producer: senses.producer }
  checkAbort()

  // tied LM head: logits = o·Eᵀ, (pos, vocab)
  return ops.matmul(combined, WTE, c.vocabSize, null, true).data
}
