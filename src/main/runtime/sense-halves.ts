import { WorkbenchError } from '../../shared/errors'
import type { EngineCore } from './engine-core'
import { HelperGraph } from './helper-graph'
import { floatTensor, runSession } from './ort'

/** Ids per sense-network run of a sweep (its fp32 output is batch·sense·d_model floats: 12.6 MB at full size). */
const SWEEP_BATCH = 256

/**
 * Sense vectors as the fp16 sense table stores them, for the whole-vocabulary build (in the
 * engine worker): each batch of ids runs the sense network; the norms are summed from its fp32
 * output in float64 exactly as the table computed them; a Cast graph rounds the vectors to fp16
 * (round to nearest even, bit for bit `floatToHalf`), copied into the caller's table memory (a
 * SharedArrayBuffer). Only the norms travel back: the calling thread neither converts nor copies.
 * (onnxruntime-node copies every output into fresh JS memory, pre-allocated or not, so the runs
 * take no output buffers: a pre-allocated one only added a copy of the sense network's output.)
 */
export class SenseHalves {
  readonly #cast = new HelperGraph('sense-halves', (onnx) => ({
    node: [
      {
        opType: 'Cast',
        input: ['x'],
        output: ['y'],
        attribute: [{ name: 'to', type: onnx.AttributeProto.AttributeType.INT, i: onnx.TensorProto.DataType.FLOAT16 }],
      },
    ],
    input: [['x', ['n']]],
    output: [['y', ['n'], onnx.TensorProto.DataType.FLOAT16]],
  }))

  /**
   * Fills `into` ((n, sense, d_model) fp16 bits, a view of a SharedArrayBuffer: the caller's
   * memory) with the senses of ids; returns their norms (n, sense) from the fp32 vectors.
   * Cancellable between batches (what was written stays).
   */
  async run(core: EngineCore, ids: readonly number[], into: Uint16Array, signal?: AbortSignal): Promise<Float32Array> {
    core.checkIds(ids, 'senseHalves', null)
    const { numSenses: k, nEmbd: d } = core.config
    const per = k * d
    if (!(into instanceof Uint16Array) || !(into.buffer instanceof SharedArrayBuffer) || into.length !== ids.length * per)
      throw new WorkbenchError(
        'bad-request',
        `senseHalves: into must be a Uint16Array over a SharedArrayBuffer of (n=${ids.length}, sense=${k}, d_model=${d}) values`,
      )
    const norms = new Float32Array(ids.length * k)
    if (ids.length === 0) return norms
    const cast = await this.#cast.session()
    for (let start = 0; start < ids.length; start += SWEEP_BATCH) {
      if (signal?.aborted) throw new WorkbenchError('cancelled', `sense halves cancelled after ${start} of ${ids.length} ids`)
      const n = Math.min(SWEEP_BATCH, ids.length - start)
      const vecs = await core.runSenses(ids.slice(start, start + n)) // (n, sense, d_model)
      rowNorms(vecs, n * k, d, norms, start * k)
      const out = await runSession(cast, 'sense-halves', { x: floatTensor(vecs, [n * per]) })
      into.set(out.y.data as Uint16Array, start * per)
    }
    return norms
  }

  async release(): Promise<void> {
    await this.#cast.release()
  }
}

/**
 * ‖row‖ of `rows` rows of length d into out[at..]: each a float64 sum of squares in index order —
 * the table's norm, bit for bit — four rows at a time (four independent sums keep the FPU busy
 * where one waits on each addition: about 3× faster).
 */
export function rowNorms(v: Float32Array, rows: number, d: number, out: Float32Array, at: number): void {
  let r = 0
  for (; r + 3 < rows; r += 4) {
    const o0 = r * d
    const o1 = o0 + d
    const o2 = o1 + d
    const o3 = o2 + d
    let s0 = 0
    let s1 = 0
    let s2 = 0
    let s3 = 0
    for (let x = 0; x < d; x++) {
      s0 += v[o0 + x] * v[o0 + x]
      s1 += v[o1 + x] * v[o1 + x]
      s2 += v[o2 + x] * v[o2 + x]
      s3 += v[o3 + x] * v[o3 + x]
    }
    out[at + r] = Math.sqrt(s0)
    out[at + r + 1] = Math.sqrt(s1)
    out[at + r + 2] = Math.sqrt(s2)
    out[at + r + 3] = Math.sqrt(s3)
  }
  for (; r < rows; r++) {
    let s = 0
    for (let x = 0; x < d; x++) s += v[r * d + x] * v[r * d + x]
    out[at + r] = Math.sqrt(s)
  }
}
