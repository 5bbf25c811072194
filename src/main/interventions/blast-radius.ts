import { WorkbenchError } from '../../shared/errors'
import { isVectorEdit, type ParsedSenseEdits, type ResolvedSenseEdit, type VectorEdit } from '../../shared/edits/parse-sense-edits'
import type { BackpackEngine } from '../runtime/backpack-engine'
import { dot } from './edit-sense-vectors'

/**
 * The "blast radius" of global sense-vector edits on the log-odds of two tokens a, b.
 *
 * Derivation (backpack-spec.md §3.6). At any position i of any context,
 *   logit_v = Σ_ℓ Σ_{j≤i} α^ℓ_ij · E_v·C(x_j)_ℓ, and the log-odds log p_a − log p_b equals
 *   logit_a − logit_b (the softmax normaliser cancels). A vector edit
 *   C(x) → C̃(x) changes it by Δ_i = Σ_ℓ Σ_{j≤i} α^ℓ_ij · g_ℓ(x_j), g_ℓ(x) = (E_a − E_b)·(C̃(x)_ℓ − C(x)_ℓ),
 *   and g_ℓ(x) = 0 for unedited tokens. α is unchanged by vector edits, and for each ℓ the row
 *   α^ℓ_i· is a probability distribution over j ≤ i, so Σ_j α^ℓ_ij g_ℓ(x_j) lies in
 *   [min_j g_ℓ(x_j), max_j g_ℓ(x_j)] ⊆ [min(0, min_x g_ℓ(x)), max(0, max_x g_ℓ(x))] — 0 is included
 *   because contexts may hold unedited tokens, and α may put (almost) all its mass on one position.
 *   Summing over senses, which are normalised independently:
 *     L = Σ_ℓ min(0, min_x g_ℓ(x)) ≤ Δ_i ≤ U = Σ_ℓ max(0, max_x g_ℓ(x)).
 *   This is the tightest bound that uses only "α ≥ 0, rows sum to 1 per sense": each sense's term
 *   reaches its extreme when α^ℓ puts all mass on the maximising token, independently per ℓ. It
 *   is never looser than Σ_ℓ max_x |g_ℓ(x)|. Topic and α edits are context-dependent and not covered.
 */
/** The bounds of a blast radius, without the per-token detail. */
export interface BlastRadiusBounds {
  tokenA: number
  tokenB: number
  /** the largest increase of log p(a) − log p(b) over all contexts and positions */
  maxIncrease: number
  /** the largest decrease (a negative number or 0) */
  maxDecrease: number
  /** max(maxIncrease, −maxDecrease) */
  maxAbsChange: number
  /** per sense: [min(0, min_x g), max(0, max_x g)] and the tokens reaching them */
  perSense: { sense: number; low: number; high: number; lowToken: number | null; highToken: number | null }[]
}

export interface BlastRadius extends BlastRadiusBounds {
  /** per edited token: Σ_ℓ g_ℓ(x), the change in a context made of x alone (attained) */
  perToken: { token: number; change: number; perSense: number[] }[]
}

/**
 * The blast radius of one pair (a, b), built from the edited tokens' sense changes one token at a
 * time, so that a request with many pairs computes each token's ΔC once and feeds it to every
 * pair (`InterventionRunner.blastRadii`). Tokens must come in the same order for the same result
 * (ties keep the first token reaching an extreme). `keepPerToken: false` skips `perToken`.
 */
export class BlastRadiusBuilder {
  readonly tokenA: number
  readonly tokenB: number
  readonly #diff: Float32Array // E_a − E_b in float32, as the bound is defined on
  readonly #numSenses: number
  readonly #dModel: number
  readonly #perSense: BlastRadius['perSense']
  readonly #perToken: BlastRadius['perToken'] | null

  constructor(
    tokenA: number,
    tokenB: number,
    ea: Float32Array,
    eb: Float32Array,
    numSenses: number,
    dModel: number,
    options: { keepPerToken?: boolean } = {},
  ) {
    this.tokenA = tokenA
    this.tokenB = tokenB
    this.#numSenses = numSenses
    this.#dModel = dModel
    this.#diff = new Float32Array(dModel)
    for (let c = 0; c < dModel; c++) this.#diff[c] = ea[c] - eb[c]
    this.#perSense = Array.from({ length: numSenses }, (_, sense) => ({
      sense,
      low: 0,
      high: 0,
      lowToken: null as number | null,
      highToken: null as number | null,
    }))
    this.#perToken = options.keepPerToken === false ? null : []
  }

  /**
   * One edited token's ΔC(x) = C̃(x) − C(x), (sense, d_model). `changed[ℓ]` false says row ℓ of
   * ΔC is all zeros, so g_ℓ(x) is 0 without its dot product (the dot would give +0 as well).
   */
  add(token: number, delta: Float32Array, changed?: ArrayLike<boolean | number>): void {
    const d = this.#dModel
    const g = this.#perToken ? new Array<number>(this.#numSenses) : null
    for (let l = 0; l < this.#numSenses; l++) {
      const v = changed && !changed[l] ? 0 : dot(this.#diff, 0, delta, l * d, d)
      const s = this.#perSense[l]
      if (v > s.high) {
        s.high = v
        s.highToken = token
      }
      if (v < s.low) {
        s.low = v
        s.lowToken = token
      }
      if (g) g[l] = v
    }
    if (g && this.#perToken) this.#perToken.push({ token, change: g.reduce((x, y) => x + y, 0), perSense: g })
  }

  bounds(): BlastRadiusBounds {
    const maxIncrease = this.#perSense.reduce((x, s) => x + s.high, 0)
    const maxDecrease = this.#perSense.reduce((x, s) => x + s.low, 0)
    return {
      tokenA: this.tokenA,
      tokenB: this.tokenB,
      maxIncrease,
      maxDecrease,
      maxAbsChange: Math.max(maxIncrease, -maxDecrease),
      perSense: this.#perSense,
    }
  }

  /** The bounds and, unless `keepPerToken` was false, `perToken` (empty then). */
  result(): BlastRadius {
    return { ...this.bounds(), perToken: this.#perToken ?? [] }
  }
}

/**
 * deltas: per edited token, ΔC(x) = C̃(x) − C(x), (sense, d_model). ea, eb: E[a], E[b] (d_model).
 */
export function blastRadius(
  tokenA: number,
  tokenB: number,
  ea: Float32Array,
  eb: Float32Array,
  deltas: Map<number, Float32Array>,
  numSenses: number,
  dModel: number,
): BlastRadius {
  const builder = new BlastRadiusBuilder(tokenA, tokenB, ea, eb, numSenses, dModel)
  for (const [token, delta] of deltas) builder.add(token, delta)
  return builder.result()
}

export type BlastRadiusNotCovered = { index: number; kind: ResolvedSenseEdit['kind'] }[]

export interface BlastRadiusOptions {
  /** aborted: the computation stops at the next block with a `cancelled` error */
  signal?: AbortSignal
  /** after each block: edited tokens done, of all the document's vector-edited tokens */
  onProgress?: (done: number, total: number) => void
}

/** What computeBlastRadii needs of the intervention runner: its senses, edited senses and embedding rows. */
export interface BlastRadiusSource {
  readonly engine: BackpackEngine
  tokenSenses(ids: readonly number[]): Promise<Float32Array[]>
  editedSenses(ids: readonly number[], edits: readonly VectorEdit[]): Promise<Float32Array[]>
  embedding(ids: readonly number[]): Promise<Float32Array[]>
}

/**
 * The blast radius of every pair [a, b] under one document (see InterventionRunner.blastRadii):
 * each edited token's ΔC is computed once and fed to every distinct pair, in blocks between
 * which it reports progress, yields and honours `signal`.
 */
export async function computeBlastRadii(
  runner: BlastRadiusSource,
  edits: ParsedSenseEdits,
  pairs: readonly (readonly [number, number])[],
  keepPerToken: boolean,
  options: BlastRadiusOptions,
): Promise<{ radii: (BlastRadius | BlastRadiusBounds)[]; notCovered: BlastRadiusNotCovered }> {
  const { signal, onProgress } = options
  const checkCancelled = () => {
    if (signal?.aborted)
      throw new WorkbenchError(
        'cancelled',
        `the blast radius was cancelled (${pairs.length} pair${pairs.length === 1 ? '' : 's'}, ${edits.edits.length} edits)`,
      )
  }
  checkCancelled()
  const vectorEdits = edits.edits.filter(isVectorEdit)
  const notCovered = edits.edits.filter((e) => !isVectorEdit(e)).map((e) => ({ index: e.index, kind: e.kind }))
  const tokens = [...new Set(vectorEdits.map((e) => e.token))]
  const { numSenses: k, nEmbd: d } = runner.engine.config
  // one builder per distinct pair: a repeated pair shares the first one's result
  const builders = new Map<string, BlastRadiusBuilder>()
  const rows = await runner.embedding(pairs.flat())
  pairs.forEach(([a, b], i) => {
    const key = `${a},${b}`
    if (!builders.has(key)) builders.set(key, new BlastRadiusBuilder(a, b, rows[2 * i], rows[2 * i + 1], k, d, { keepPerToken }))
  })
  // blocks of ~2^22 multiply-adds (tens of ms) between yields, so that run.cancel gets through
  const block = Math.min(4096, Math.max(16, Math.floor(2 ** 22 / Math.max(1, builders.size * k * d))))
  const delta = new Float32Array(k * d) // ΔC of one token, (sense, d_model), reused
  const changed = new Uint8Array(k) // rows of ΔC not all zero: most edits touch a few senses
  for (let t0 = 0; t0 < tokens.length; t0 += block) {
    const chunk = tokens.slice(t0, t0 + block)
    const edited = await runner.editedSenses(chunk, vectorEdits)
    const base = await runner.tokenSenses(chunk)
    checkCancelled()
    chunk.forEach((t, i) => {
      changed.fill(0)
      for (let c = 0; c < k * d; c++) {
        const x = Math.fround(edited[i][c] - base[i][c]) // as stored in float32
        // a non-finite change compares false everywhere, which read as a radius of 0
        if (!Number.isFinite(x)) {
          throw new WorkbenchError(
            'edit-invalid',
            `the edits make sense ${Math.floor(c / d)} of token ${t} not finite: their scale factors or vector values, compounded, overflow float32; use smaller factors or fewer edits on the same sense`,
          )
        }
        delta[c] = x
        if (x !== 0) changed[Math.floor(c / d)] = 1
      }
      for (const builder of builders.values()) builder.add(t, delta, changed)
    })
    onProgress?.(Math.min(t0 + block, tokens.length), tokens.length)
    await new Promise<void>((resolve) => setImmediate(resolve))
    checkCancelled()
  }
  const radii = pairs.map(([a, b]) => {
    const builder = builders.get(`${a},${b}`) as BlastRadiusBuilder
    return keepPerToken ? builder.result() : builder.bounds()
  })
  return { radii, notCovered }
}
