import { LRUCache } from 'lru-cache'
import { sharedResidentArrays, type ResidentArrays } from '../math/resident-arrays'
import { weightedRowSum } from '../math/weighted-row-sum'
import type { BackpackEngine } from '../runtime/backpack-engine'

/**
 * Up to this many changed (token, sense) pairs the re-base runs in JS on the calling thread
 * (math/weighted-row-sum.ts); more go to one Gemm in the engine worker.
 */
const JS_REBASE_MAX_PAIRS = 4

/**
 * Output arrays of a base's size made ready ahead (math/resident-arrays.ts), asked for when a run
 * that can become a base starts (`expect`): a re-run writes its logits into memory already
 * faulted in, so a burst of re-runs (a slider dragged) does not pay ~13 µs per fresh 4 KiB page
 * on the bench machine — 20 ms for 32 positions' logits.
 */
export const RESIDENT_OUTPUTS = 4

/** A directly computed run of a prompt under vector edits only: what later re-runs add to. */
interface RunBase {
  perToken: readonly Float32Array[] // C̃ per position as combined, (sense, d_model) each
  scales: readonly Float64Array[] // per position, C̃_ℓ = s_ℓ·C_ℓ (NaN: not a multiple), (sense) each
  logits: Float32Array // (pos, vocab), every position
}

export interface RerunBaseOptions {
  /** logits floats kept as re-run bases (one base ≤ a quarter), least recently used dropped first */
  baseCacheFloats?: number
  /** floats kept as projections E·C(x)_ℓ of unedited senses (one vocab row each), least recently used dropped first */
  projectionCacheFloats?: number
  /** where re-run outputs come from (default: the process's shared ResidentArrays) */
  memory?: ResidentArrays
}

/** A changed (token, sense) pair of a re-run: its positions, and either a scale change of C_ℓ or a vector ΔC. */
type Change =
  { at: number[]; token: number; sense: number; coef: number } | { at: number[]; token: number; sense: number; delta: Float32Array }

/**
 * Re-runs after vector edits changed (see InterventionRunner): logits are linear in the senses,
 * so the last directly computed run of the same ids (all positions) is a base, and a re-run whose
 * senses differ from it in r (token, sense) pairs present in the prompt is
 * logits = base + W·P with W[q, (x, ℓ)] = Σ_{j: x_j = x} α[ℓ, q, j] and P the pairs' E·ΔC — the
 * same formula in float32, summed in another order (tested against direct combine to 1e-5 of
 * scale). Where both the base's and the new vector are multiples of the unedited C_ℓ (scale-sense
 * edits only: s_ℓ and s'_ℓ), E·ΔC = (s'_ℓ − s_ℓ)·E·C_ℓ, and E·C_ℓ is kept per (token, sense): a
 * slider moving a factor then costs no LM-head pass at all, only the Gemm of the re-base. Other
 * changes project ΔC (one LM-head pass over those rows). Taken when r ≤ n_query / 2; r = 0
 * returns the base rows.
 */
export class RerunBases {
  readonly #engine: BackpackEngine
  readonly #budget: number
  readonly #bases: LRUCache<string, RunBase> // ids key → the last direct run under vector edits only, sized in logits floats
  readonly #projections: LRUCache<string, Float32Array> // `${token}:${sense}` → E·C(x)_ℓ, (vocab)
  readonly #memory: ResidentArrays

  constructor(engine: BackpackEngine, options: RerunBaseOptions = {}) {
    this.#engine = engine
    this.#memory = options.memory ?? sharedResidentArrays()
    this.#budget = options.baseCacheFloats ?? 2 ** 24
    this.#bases = new LRUCache({ maxSize: this.#budget, sizeCalculation: (b) => Math.max(1, b.logits.length) })
    this.#projections = new LRUCache({ maxSize: options.projectionCacheFloats ?? 2 ** 22, sizeCalculation: (p) => Math.max(1, p.length) })
  }

  /**
   * Whether a run of n positions (all of them) is or can become a base; if so, output arrays of
   * its size are made ready for the re-runs.
   */
  expect(n: number): boolean {
    const floats = n * this.#engine.config.vocabSize
    if (floats > this.#budget / 4) return false
    this.#memory.reserve(floats, RESIDENT_OUTPUTS)
    return true
  }

  /** Keeps a copy of `logits` as the base of these ids, if it fits (checked before copying). */
  keep(key: string, perToken: readonly Float32Array[], scales: readonly Float64Array[], logits: Float32Array): void {
    // one base at most a quarter of the budget (83 positions at full vocab by default): a
    // longer prompt run once (suites, perplexity) does not pay for copying its logits — a
    // 512-position copy is 100 MB and held the event loop for a good part of a second
    if (logits.length > this.#budget / 4) return
    this.#bases.set(key, { perToken, scales, logits: logits.slice() }) // least recently used bases dropped past the budget
  }

  /**
   * Logits of `positions` from the base run of these ids plus the changed senses' share, or null
   * when there is no base or too many (token, sense) pairs changed. `unedited` gives C(x) of tokens.
   */
  async rows(
    key: string,
    ids: readonly number[],
    perToken: readonly Float32Array[],
    scales: readonly Float64Array[],
    alpha: Float32Array,
    positions: readonly number[],
    unedited: (tokens: number[]) => Promise<Float32Array[]>,
  ): Promise<Float32Array | null> {
    const base = this.#bases.get(key)
    if (!base) return null
    const { numSenses: k, nEmbd: d, vocabSize: V } = this.#engine.config
    const n = ids.length
    const nq = positions.length
    const changes = changedPairs(ids, perToken, scales, base, k, d, Math.floor(nq / 2))
    if (!changes) return null
    const r = changes.length
    if (r === 0) return weightedRowSum(base.logits, positions, new Float32Array(0), new Float32Array(0), 0, V, this.#memory.take(nq * V))
    const projected = await this.#projectChanges(changes, unedited) // (pair, vocab)
    const weights = new Float32Array(nq * r) // W (query, pair), the scale change folded in
    positions.forEach((p, q) => {
      changes.forEach((c, i) => {
        let w = 0
        for (const j of c.at) w += alpha[(c.sense * n + p) * n + j]
        weights[q * r + i] = 'coef' in c ? w * c.coef : w
      })
    })
    // a few pairs (a slider on one token's senses): JS on this thread, no copies to the worker
    if (r <= JS_REBASE_MAX_PAIRS) return weightedRowSum(base.logits, positions, weights, projected, r, V, this.#memory.take(nq * V))
    // base rows of the query positions (read only: a copy only for a subset)
    const all = nq === n && positions.every((p, q) => p === q)
    const rows = all ? base.logits : new Float32Array(nq * V)
    if (!all) positions.forEach((p, q) => rows.set(base.logits.subarray(p * V, (p + 1) * V), q * V))
    return this.#engine.addWeightedRows(rows, weights, projected, nq, r, V)
  }

  /** P (pair, vocab): E·C_ℓ from the cache (projected once) for scale changes, E·ΔC for the others, in one LM-head call. */
  async #projectChanges(changes: readonly Change[], unedited: (tokens: number[]) => Promise<Float32Array[]>): Promise<Float32Array> {
    const { nEmbd: d, vocabSize: V } = this.#engine.config
    const keyOf = (c: Change) => `${c.token}:${c.sense}`
    const missing = [...new Set(changes.filter((c) => 'coef' in c && !this.#projections.has(keyOf(c))).map(keyOf))]
    const deltas = changes.filter((c): c is Extract<Change, { delta: Float32Array }> => 'delta' in c)
    const m = missing.length + deltas.length
    const fresh = new Map<string, Float32Array>()
    let projected: Float32Array = new Float32Array(0)
    if (m > 0) {
      const vectors = new Float32Array(m * d) // (row, d_model): ΔC rows, then the unedited C_ℓ not yet projected
      deltas.forEach((c, i) => vectors.set(c.delta, i * d))
      const tokens = missing.map((s) => Number(s.split(':')[0]))
      const senses = await unedited(tokens)
      missing.forEach((s, i) => {
        const l = Number(s.split(':')[1])
        vectors.set(senses[i].subarray(l * d, (l + 1) * d), (deltas.length + i) * d)
      })
      projected = await this.#engine.project(vectors, m) // (row, vocab)
      missing.forEach((s, i) => {
        const row = projected.slice((deltas.length + i) * V, (deltas.length + i + 1) * V)
        fresh.set(s, row)
        this.#projections.set(s, row)
      })
    }
    const out = new Float32Array(changes.length * V) // (pair, vocab)
    let di = 0
    changes.forEach((c, i) => {
      if ('delta' in c) out.set(projected.subarray(di * V, ++di * V), i * V)
      else out.set(fresh.get(keyOf(c)) ?? (this.#projections.get(keyOf(c)) as Float32Array), i * V)
    })
    return out
  }
}

/**
 * The (token, sense) pairs whose combined vector differs from the base's: a scale change when
 * both are known multiples of the unedited C_ℓ, else the vector ΔC = C̃ − C̃_base. Null when more
 * than `maxPairs` changed.
 */
function changedPairs(
  ids: readonly number[],
  perToken: readonly Float32Array[],
  scales: readonly Float64Array[],
  base: RunBase,
  k: number,
  d: number,
  maxPairs: number,
): Change[] | null {
  const where = new Map<number, number[]>() // token → its positions
  ids.forEach((id, j) => {
    const list = where.get(id)
    if (list) list.push(j)
    else where.set(id, [j])
  })
  const changes: Change[] = []
  for (const [token, at] of where) {
    const j = at[0]
    const now = perToken[j]
    const was = base.perToken[j]
    if (now === was) continue
    for (let l = 0; l < k; l++) {
      let same = true
      for (let c = l * d; c < (l + 1) * d && same; c++) same = now[c] === was[c]
      if (same) continue
      if (changes.length >= maxPairs) return null
      const coef = scales[j][l] - base.scales[j][l]
      if (Number.isFinite(coef)) {
        changes.push({ at, token, sense: l, coef })
      } else {
        const delta = new Float32Array(d) // ΔC_ℓ, (d_model)
        for (let c = 0; c < d; c++) delta[c] = now[l * d + c] - was[l * d + c]
        changes.push({ at, token, sense: l, delta })
      }
    }
  }
  return changes
}
