/**
 * The operations of the overflow probe (forward-probe.ts): a plain evaluation of the Backpack
 * forward pass whose every intermediate is stored as float32 and checked. Sums are accumulated in
 * float64; a sum is still flagged when any order of float32 accumulation could overflow (the sum
 * of absolute terms leaves float32 range), so the verdict does not depend on an engine's order.
 * Each activation remembers which weight made it outsized (grew it by more than GROWTH), so an
 * overflow names the tensor responsible rather than the op where it surfaced.
 */

export const F32_MAX = 3.4028234663852886e38
/** An op that raises the largest activation magnitude by more than this is blamed for it. */
const GROWTH = 1e6
/** gelu_new cubes its input: 0.044715·z³ leaves float32 range above this |z|. */
const GELU_MAX = Math.cbrt(F32_MAX / 0.044715)

/** (rows, cols) float32 activation; `source`: the weight that made it outsized; `producer`: the weight of the op that wrote it. */
export interface Act {
  data: Float32Array
  rows: number
  cols: number
  source: string | null
  producer: string
}

/** Thrown by an op whose float32 result leaves float32 range. */
export class ProbeOverflow extends Error {
  constructor(
    readonly tensor: string,
    readonly op: string,
  ) {
    super(`${op} overflows float32 (blamed on ${tensor})`)
  }
}

export function maxAbs(a: Float32Array | Float64Array): number {
  let m = 0
  for (let i = 0; i < a.length; i++) {
    const v = Math.abs(a[i])
    if (v > m || v !== v) m = v !== v ? Infinity : v
  }
  return m
}

const blameOf = (x: Act): string => x.source ?? x.producer

/** Stores float64 results as float32 and throws when one does not fit. */
function toF32(y: Float64Array | number[], tensor: string, op: string): Float32Array {
  const out = Float32Array.from(y)
  for (let i = 0; i < out.length; i++) if (!Number.isFinite(out[i])) throw new ProbeOverflow(tensor, op)
  return out
}

function grownSource(out: Float32Array, inMax: number, weight: string, x: Act): string | null {
  return maxAbs(out) > GROWTH * Math.max(inMax, 1) ? weight : x.source
}

/** Rows of a weight matrix read at a time (`WeightRows`): 4 MB of float32. */
export const BLOCK_FLOATS = 1 << 20

/**
 * Rows [first, first + count) of a stored weight matrix whose rows hold `cols` values; the view
 * may be overwritten by the next call (a streamed checkpoint reads them into one reused buffer).
 */
export type WeightRows = (name: string, first: number, count: number, cols: number) => Float32Array

export class ProbeOps {
  private readonly maxAbsMemo = new Map<string, number>()
  private readonly rows: WeightRows

  /** `weight`: whole tensors (the probe asks it only for vectors: biases, LayerNorm parameters); `rows`: blocks of matrices. */
  constructor(
    private readonly weight: (name: string) => Float32Array,
    readonly eps: number,
    rows?: WeightRows,
    /** values per block of rows (at least one row) */
    private readonly blockFloats = BLOCK_FLOATS,
  ) {
    this.rows = rows ?? ((name, first, count, cols) => this.weight(name).subarray(first * cols, (first + count) * cols))
  }

  /** Largest |w| of a weight, read once. */
  wMax(name: string): number {
    let m = this.maxAbsMemo.get(name)
    if (m === undefined) this.maxAbsMemo.set(name, (m = maxAbs(this.weight(name))))
    return m
  }

  /** Rows of an embedding table: (rows.length, cols). */
  gather(name: string, rows: readonly number[], cols: number): Act {
    const data = new Float32Array(rows.length * cols)
    rows.forEach((r, i) => data.set(this.rows(name, r, 1, cols), i * cols))
    return { data, rows: rows.length, cols, source: maxAbs(data) > GROWTH ? name : null, producer: name }
  }

  add(a: Act, b: Act, op: string): Act {
    const big = maxAbs(a.data) >= maxAbs(b.data) ? a : b
    const y = new Float64Array(a.data.length)
    for (let i = 0; i < y.length; i++) y[i] = a.data[i] + b.data[i]
    return { ...a, data: toF32(y, blameOf(big), op), source: big.source ?? (big === a ? b.source : a.source), producer: big.producer }
  }

  /** LayerNorm over the last dim; the input's Σx² must fit float32 (a float32 variance would overflow). */
  layerNorm(x: Act, prefix: string): Act {
    const gamma = this.weight(`${prefix}.weight`)
    const beta = this.weight(`${prefix}.bias`)
    const n = x.cols
    const y = new Float64Array(x.data.length)
    for (let r = 0; r < x.rows; r++) {
      const row = x.data.subarray(r * n, (r + 1) * n)
      let sum = 0
      let sq = 0
      for (let i = 0; i < n; i++) {
        sum += row[i]
        sq += row[i] * row[i]
      }
      if (sq > F32_MAX) throw new ProbeOverflow(blameOf(x), `the variance inside LayerNorm ${prefix}`)
      const mean = sum / n
      let v = 0
      for (let i = 0; i < n; i++) v += (row[i] - mean) ** 2
      const inv = 1 / Math.sqrt(v / n + this.eps)
      for (let i = 0; i < n; i++) y[r * n + i] = (row[i] - mean) * inv * gamma[i] + beta[i]
    }
    const param = this.wMax(`${prefix}.weight`) >= this.wMax(`${prefix}.bias`) ? `${prefix}.weight` : `${prefix}.bias`
    const data = toF32(y, param, `LayerNorm ${prefix}`)
    return { data, rows: x.rows, cols: n, source: maxAbs(data) > GROWTH ? param : null, producer: param }
  }

  /**
   * HF Conv1D y = x·W + b with W (in, out); `transposed`: nn.Linear W (out, in); no bias when
   * `bias` is null. Rows are done four at a time so each weight is read once per four rows; W
   * is read in blocks of its stored rows (`WeightRows`), in the order of the sums.
   */
  matmul(x: Act, name: string, nOut: number, bias: string | null, transposed = false): Act {
    const b = bias === null ? null : this.weight(bias)
    const nIn = x.cols
    const inMax = maxAbs(x.data)
    // every partial sum is bounded by Σ|x·w| + |b| ≤ max|x|·max|W|·n + max|b|: while no weight
    // exceeds `limit` no accumulation order can overflow; otherwise the exact sums are checked
    const limit = (F32_MAX - (bias ? this.wMax(bias) : 0)) / Math.max(inMax * nIn, Number.MIN_VALUE)
    const y = new Float64Array(x.rows * nOut)
    const cols = transposed ? nIn : nOut // W's stored rows
    const wRows = transposed ? nOut : nIn
    const per = Math.max(1, Math.floor(this.blockFloats / cols))
    let outsized = false
    for (let t0 = 0; t0 < x.rows; t0 += 4) {
      const r = (t: number): Float32Array => (t0 + t < x.rows ? x.data.subarray((t0 + t) * nIn, (t0 + t + 1) * nIn) : new Float32Array(nIn))
      const [x0, x1, x2, x3] = [r(0), r(1), r(2), r(3)]
      const y4 = new Float64Array(4 * nOut) // (out, 4): the four rows' sums side by side
      for (let r0 = 0; r0 < wRows; r0 += per) {
        const n = Math.min(per, wRows - r0)
        const W = this.rows(name, r0, n, cols)
        if (transposed) {
          for (let o = r0; o < r0 + n; o++) {
            let s0 = 0,
              s1 = 0,
              s2 = 0,
              s3 = 0
            for (let i = 0, base = (o - r0) * nIn; i < nIn; i++) {
              const w = W[base + i]
              if (w > limit || w < -limit) outsized = true
              s0 += x0[i] * w
              s1 += x1[i] * w
              s2 += x2[i] * w
              s3 += x3[i] * w
            }
            y4[4 * o] = s0
            y4[4 * o + 1] = s1
            y4[4 * o + 2] = s2
            y4[4 * o + 3] = s3
          }
        } else {
          for (let i = r0; i < r0 + n; i++) {
            const a0 = x0[i]
            const a1 = x1[i]
            const a2 = x2[i]
            const a3 = x3[i]
            for (let o = 0, base = (i - r0) * nOut; o < nOut; o++) {
              const w = W[base + o]
              if (w > limit || w < -limit) outsized = true
              const at = 4 * o
              y4[at] += a0 * w
              y4[at + 1] += a1 * w
              y4[at + 2] += a2 * w
              y4[at + 3] += a3 * w
            }
          }
        }
      }
      for (let t = 0; t < 4 && t0 + t < x.rows; t++) {
        for (let o = 0; o < nOut; o++) y[(t0 + t) * nOut + o] = y4[4 * o + t] + (b ? b[o] : 0)
      }
    }
    const blame = x.source ?? name
    const op = `the product with ${name}`
    if (outsized) this.checkAbsSums(x, name, b, nOut, transposed, blame, op)
    const data = toF32(y, blame, op)
    return { data, rows: x.rows, cols: nOut, source: grownSource(data, inMax, name, x), producer: name }
  }

  /** Σ_i |x·w| + |b| of every output, summed in the order of i (W read in blocks as in `matmul`). */
  private checkAbsSums(x: Act, name: string, b: Float32Array | null, nOut: number, transposed: boolean, blame: string, op: string): void {
    const nIn = x.cols
    const cols = transposed ? nIn : nOut
    const wRows = transposed ? nOut : nIn
    const per = Math.max(1, Math.floor(this.blockFloats / cols))
    const sums = new Float64Array(x.rows * nOut)
    for (let t = 0; t < x.rows; t++) for (let o = 0; o < nOut; o++) sums[t * nOut + o] = b ? Math.abs(b[o]) : 0
    for (let r0 = 0; r0 < wRows; r0 += per) {
      const n = Math.min(per, wRows - r0)
      const W = this.rows(name, r0, n, cols)
      for (let t = 0; t < x.rows; t++) {
        if (transposed) {
          for (let o = r0; o < r0 + n; o++) {
            let s = sums[t * nOut + o]
            for (let i = 0; i < nIn; i++) s += Math.abs(x.data[t * nIn + i] * W[(o - r0) * nIn + i])
            sums[t * nOut + o] = s
          }
        } else {
          for (let o = 0; o < nOut; o++) {
            let s = sums[t * nOut + o]
            for (let i = r0; i < r0 + n; i++) s += Math.abs(x.data[t * nIn + i] * W[(i - r0) * nOut + o])
            sums[t * nOut + o] = s
          }
        }
      }
    }
    for (const s of sums) if (s > F32_MAX) throw new ProbeOverflow(blame, op)
  }

  /** gelu_new (tanh approximation); its cube must fit float32. */
  gelu(x: Act): Act {
    const y = new Float64Array(x.data.length)
    const c = Math.sqrt(2 / Math.PI)
    for (let i = 0; i < y.length; i++) {
      const z = x.data[i]
      if (Math.abs(z) > GELU_MAX) throw new ProbeOverflow(blameOf(x), `gelu_new after ${x.producer}`)
      y[i] = 0.5 * z * (1 + Math.tanh(c * (z + 0.044715 * z * z * z)))
    }
    return { ...x, data: toF32(y, blameOf(x), `gelu_new after ${x.producer}`) }
  }

  /**
   * Causal attention of one head: queries and keys are `dim`-wide column slices of `q` and `k`
   * at column offsets `qAt`/`kAt`, values of `v` at `vAt`; scores·scale + (mask where j > i), softmax, ·v.
   * Returns α (T, T) and, when `v` is given, the output (T, dim).
   */
  attend(
    q: Act,
    qAt: number,
    k: Act,
    kAt: number,
    dim: number,
    scale: number,
    mask: number,
    v: Act | null,
    vAt: number,
    op: string,
  ): { alpha: Float64Array; out: Float64Array | null } {
    const T = q.rows
    const alpha = new Float64Array(T * T)
    const out = v ? new Float64Array(T * dim) : null
    for (let i = 0; i < T; i++) {
      const s = new Float64Array(T)
      for (let j = 0; j < T; j++) {
        let dot = 0
        let abs = 0
        for (let e = 0; e < dim; e++) {
          const p = q.data[i * q.cols + qAt + e] * k.data[j * k.cols + kAt + e]
          dot += p
          abs += Math.abs(p)
        }
        if (abs > F32_MAX || Math.abs(Math.fround(dot * scale)) > F32_MAX)
          throw new ProbeOverflow(blameOf(q.source ? q : k), `the attention scores of ${op}`)
        s[j] = Math.fround(dot * scale) + (j > i ? mask : 0)
      }
      const top = Math.max(...s)
      let z = 0
      for (let j = 0; j < T; j++) z += s[j] = Math.exp(s[j] - top)
      for (let j = 0; j < T; j++) alpha[i * T + j] = s[j] / z
      if (v && out) {
        for (let j = 0; j < T; j++) {
          const a = alpha[i * T + j]
          for (let e = 0; e < dim; e++) out[i * dim + e] += a * v.data[j * v.cols + vAt + e]
        }
      }
    }
    return { alpha, out }
  }
}
