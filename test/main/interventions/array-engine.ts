import type { BackpackEngine, ForwardOutputs } from '../../../src/main/runtime/backpack-engine'
import { WorkbenchError } from '../../../src/shared/errors'
import type { BackpackConfig } from '../../../src/shared/model/config'
import { mulberry32 } from '../../helpers/mulberry32'

/**
 * A small in-memory Backpack for unit tests of the edit math: random E (vocab, d_model) and
 * C (vocab, sense, d_model), and α from a seeded random weight per (sense, i, j), softmaxed over
 * j ≤ i — the same contract as the ONNX engine, computed directly in float64.
 * Integration tests use the real engine on the committed checkpoints.
 */
export class ArrayEngine implements BackpackEngine {
  readonly config: BackpackConfig
  readonly contentHash: string
  readonly provider = { name: 'array', requested: 'array', available: ['array'] }
  readonly E: Float32Array // (vocab, d_model)
  readonly C: Float32Array // (vocab, sense, d_model)
  calls = { contextualize: 0, senseVectors: 0 }

  constructor(vocabSize = 40, numSenses = 4, dModel = 8, seed = 1) {
    this.config = {
      vocabSize,
      nEmbd: dModel,
      nHead: 1,
      nLayer: 1,
      nPositions: 64,
      nInner: 4 * dModel,
      numSenses,
      senseIntermediateScale: 4,
      layerNormEpsilon: 1e-5,
      scaleAttnByInverseLayerIdx: true,
      scaleAttnWeights: true,
      bosTokenId: 0,
      eosTokenId: 0,
    }
    this.contentHash = `array${seed}`.padEnd(16, '0')
    const rand = mulberry32(seed)
    this.E = Float32Array.from({ length: vocabSize * dModel }, () => rand() * 2 - 1)
    this.C = Float32Array.from({ length: vocabSize * numSenses * dModel }, () => rand() * 2 - 1)
  }

  async senseVectors(ids: readonly number[]) {
    this.calls.senseVectors++
    const b = this.config.numSenses * this.config.nEmbd
    const out = new Float32Array(ids.length * b)
    ids.forEach((id, i) => out.set(this.C.subarray(id * b, (id + 1) * b), i * b))
    return out
  }

  async contextualize(ids: readonly number[]) {
    this.calls.contextualize++
    const k = this.config.numSenses
    const n = ids.length
    const a = new Float32Array(k * n * n) // (sense, pos, pos)
    for (let l = 0; l < k; l++)
      for (let i = 0; i < n; i++) {
        const w = Array.from({ length: i + 1 }, (_, j) => Math.exp(3 * Math.sin(ids[i] * 1.3 + ids[j] * 0.7 + l * 2.1 + j)))
        const z = w.reduce((x, y) => x + y, 0)
        w.forEach((v, j) => (a[(l * n + i) * n + j] = v / z))
      }
    return a
  }

  async createDecoder(): Promise<never> {
    throw new Error('not used')
  }

  async combine({
    senses,
    alphaRows,
    nQuery,
    senseScale,
  }: {
    senses: Float32Array
    alphaRows: Float32Array
    nQuery: number
    senseScale?: Float32Array
  }) {
    const { numSenses: k, nEmbd: d, vocabSize: V } = this.config
    const n = senses.length / (k * d)
    const o = new Float64Array(nQuery * d)
    for (let l = 0; l < k; l++)
      for (let q = 0; q < nQuery; q++)
        for (let j = 0; j < n; j++) {
          const w = alphaRows[(l * nQuery + q) * n + j] * (senseScale ? senseScale[l * n + j] : 1)
          for (let c = 0; c < d; c++) o[q * d + c] += w * senses[(l * n + j) * d + c]
        }
    const logits = new Float32Array(nQuery * V)
    for (let q = 0; q < nQuery; q++)
      for (let v = 0; v < V; v++) {
        let s = 0
        for (let c = 0; c < d; c++) s += this.E[v * d + c] * o[q * d + c]
        logits[q * V + v] = s
      }
    return logits
  }

  async project(vectors: Float32Array, n: number) {
    const { nEmbd: d, vocabSize: V } = this.config
    const out = new Float32Array(n * V)
    for (let r = 0; r < n; r++)
      for (let v = 0; v < V; v++) {
        let s = 0
        for (let c = 0; c < d; c++) s += this.E[v * d + c] * vectors[r * d + c]
        out[r * V + v] = s
      }
    return out
  }

  /** base + W·P, (n, vocab), accumulated in float64. */
  async addWeightedRows(base: Float32Array, weights: Float32Array, rows: Float32Array, n: number, r: number, vocab: number) {
    const out = new Float32Array(n * vocab)
    for (let q = 0; q < n; q++)
      for (let v = 0; v < vocab; v++) {
        let s = base[q * vocab + v]
        for (let i = 0; i < r; i++) s += weights[q * r + i] * rows[i * vocab + v]
        out[q * vocab + v] = s
      }
    return out
  }

  /** max and min over the vocabulary of each row's scores, as `project` computes them (float64 dots, stored as float32). */
  async scoreExtremes(rows: Float32Array, n: number, options: { signal?: AbortSignal } = {}) {
    if (options.signal?.aborted) throw new WorkbenchError('cancelled', 'score extremes cancelled')
    const { nEmbd: d, vocabSize: V } = this.config
    const max = new Float32Array(n).fill(-Infinity)
    const min = new Float32Array(n).fill(Infinity)
    for (let r = 0; r < n; r++)
      for (let v = 0; v < V; v++) {
        let s = 0
        for (let c = 0; c < d; c++) s += this.E[v * d + c] * rows[r * d + c]
        const x = Math.fround(s)
        if (x > max[r]) max[r] = x
        if (x < min[r]) min[r] = x
      }
    return { max, min }
  }

  async embeddingRows(ids: readonly number[]) {
    const d = this.config.nEmbd
    const out = new Float32Array(ids.length * d)
    ids.forEach((id, i) => out.set(this.E.subarray(id * d, (id + 1) * d), i * d))
    return out
  }

  async forward(ids: readonly number[], options: { positions?: number[] } = {}): Promise<ForwardOutputs> {
    const { numSenses: k, nEmbd: d } = this.config
    const n = ids.length
    const per = await this.senseVectors(ids)
    const senses = new Float32Array(k * n * d)
    for (let j = 0; j < n; j++) for (let l = 0; l < k; l++) senses.set(per.subarray((j * k + l) * d, (j * k + l + 1) * d), (l * n + j) * d)
    const alpha = await this.contextualize(ids)
    const positions = options.positions ?? ids.map((_, i) => i)
    const rows = new Float32Array(k * positions.length * n)
    for (let l = 0; l < k; l++)
      positions.forEach((p, q) => rows.set(alpha.subarray((l * n + p) * n, (l * n + p + 1) * n), (l * positions.length + q) * n))
    const logits = await this.combine({ senses, alphaRows: rows, nQuery: positions.length })
    return { logits, senses, contextualization: alpha, timingsMs: {} }
  }

  async dispose() {}
}
