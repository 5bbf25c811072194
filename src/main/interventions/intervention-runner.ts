import { createHash } from 'node:crypto'
import { LRUCache } from 'lru-cache'
import { WorkbenchError } from '../../shared/errors'
import { isVectorEdit, type ParsedSenseEdits, type ResolvedSenseEdit, type VectorEdit } from '../../shared/edits/parse-sense-edits'
import { sharedResidentArrays, type ResidentArrays } from '../math/resident-arrays'
import type { BackpackEngine } from '../runtime/backpack-engine'
import type { SenseTable, SenseTableProgress } from '../senses/sense-table'
import { tokenSenses } from '../senses/token-senses'
import {
  computeBlastRadii,
  type BlastRadius,
  type BlastRadiusBounds,
  type BlastRadiusNotCovered,
  type BlastRadiusOptions,
} from './blast-radius'
export type { BlastRadiusNotCovered, BlastRadiusOptions } from './blast-radius'
import { editContextualization } from './edit-contextualization'
import { editSenseVectors } from './edit-sense-vectors'
import { RerunBases, RESIDENT_OUTPUTS } from './rerun-base'
import { senseScales } from './sense-scales'
import { annealedTopicScale, exactTopicSenseScores, topicStaticDeltas } from './topic-weights'

type TopicEdit = Extract<ResolvedSenseEdit, { kind: 'topic' }>
type AlphaEdit = Extract<ResolvedSenseEdit, { kind: 'scale-contextualization' }>

/** A forward pass with sense edits applied; same layouts as the engine's ForwardOutputs. */
export interface EditedForward {
  ids: number[]
  /** query positions of `logits` rows */
  positions: number[]
  logits: Float32Array // (n_query, vocab)
  /** senses as combined: vector edits applied, then multiplied by the topic scale */
  senses: Float32Array // (sense, pos, d_model)
  /** α as combined: after α edits. Without α edits this is the runner's cached α: do not modify */
  contextualization: Float32Array // (sense, pos, pos)
  /** the topic multipliers δ_eff (sense, pos), when a topic edit is present */
  topicScale?: Float32Array
  edited: boolean
  timingsMs: Record<string, number>
}

/** Per-call options of the runs that may need the whole-vocabulary sense table (topic edits). */
export interface RunCallOptions {
  /** cancels the table build (finished chunks stay on disk) */
  signal?: AbortSignal
  /** the table build's progress, when this call has to build or finish it */
  onTableProgress?: (p: SenseTableProgress) => void
}

export interface InterventionRunnerOptions {
  /**
   * whole-vocabulary sense table with its scores, needed only by topic edits (built on first use);
   * progress and cancellation are the calling run's
   */
  senseTable?: (call: RunCallOptions) => Promise<SenseTable>
  /** prompts whose α is kept (LRU) so that re-running after an edit change skips the GPT-2 */
  alphaCacheSize?: number
  /** edited sense vectors kept, per (edit set, token) */
  editedCacheSize?: number
  /** logits floats kept as re-run bases (see `run`; one base ≤ a quarter), least recently used dropped first */
  baseCacheFloats?: number
  /** where the senses and re-run outputs of prompts with a base come from (default: the process's shared ResidentArrays) */
  memory?: ResidentArrays
}

/**
 * Runs prompts under a sense-edit document. Composition order (documented in docs/analysis.md):
 * 1. vector edits (scale-sense, knowledge-edit, replace-sense, add-sense) in document order on
 *    each token's senses — global, the same in every context;
 * 2. the topic multiplier δ_eff(ℓ, j), computed from the vector-edited senses of this sequence;
 * 3. α edits (scale-contextualization) in document order — this prompt only;
 * then logits = E · Σ_ℓ Σ_j α̃ · δ_eff · C̃ through `engine.combine`.
 * α comes from a small cache keyed by the ids: changing only the edits never reruns the GPT-2.
 *
 * Re-runs after vector edits changed (no topic or α edits) add the changed senses' share to the
 * last direct run of the same ids (rerun-base.ts): logits = base + W·(E·ΔC), with E·C(x)_ℓ kept
 * per (token, sense) so that a changed scale-sense factor needs no LM-head pass.
 */
export class InterventionRunner {
  readonly engine: BackpackEngine
  readonly #options: InterventionRunnerOptions
  readonly #alpha: LRUCache<string, Float32Array> // ids key → (sense, pos, pos)
  readonly #promptSenses: LRUCache<string, Float32Array[]> // ids key → C(x_j) per position, sized in floats
  readonly #edited: LRUCache<string, Float32Array> // edit key + token → (sense, d_model)
  readonly #scales = new WeakMap<Float32Array, Float64Array>() // edited vector → its senses' factors over C(x) (sense-scales.ts)
  readonly #embeddings = new Map<number, Float32Array>() // token → (d_model)
  readonly #topic = new Map<string, Float32Array>() // bag + strength → δ (vocab, sense)
  readonly #bases: RerunBases
  readonly #memory: ResidentArrays

  constructor(engine: BackpackEngine, options: InterventionRunnerOptions = {}) {
    this.engine = engine
    this.#options = options
    this.#memory = options.memory ?? sharedResidentArrays()
    this.#alpha = new LRUCache({ max: options.alphaCacheSize ?? 16 })
    const block = engine.config.numSenses * engine.config.nEmbd
    this.#promptSenses = new LRUCache({
      maxSize: 2 ** 22,
      sizeCalculation: (senses) => Math.max(1, new Set(senses).size * block),
    })
    this.#edited = new LRUCache({ max: options.editedCacheSize ?? 4096 })
    this.#bases = new RerunBases(engine, { ...options, memory: this.#memory })
  }

  /** Sense vectors C(x) of tokens, (sense, d_model) each, from the engine's cache (see tokenSenses). Shared: do not modify. */
  tokenSenses(ids: readonly number[]): Promise<Float32Array[]> {
    return tokenSenses(this.engine, ids)
  }

  /** α of a prompt (sense, pos, pos), cached by the ids. Shared: do not modify. */
  async contextualization(ids: readonly number[]): Promise<Float32Array> {
    const key = ids.join(',')
    let a = this.#alpha.get(key)
    if (!a) {
      a = await this.engine.contextualize(ids)
      this.#alpha.set(key, a)
    }
    return a
  }

  async embedding(ids: readonly number[]): Promise<Float32Array[]> {
    const missing = [...new Set(ids.filter((id) => !this.#embeddings.has(id)))]
    if (missing.length > 0) {
      const d = this.engine.config.nEmbd
      const rows = await this.engine.embeddingRows(missing) // (n, d_model)
      missing.forEach((id, i) => this.#embeddings.set(id, rows.slice(i * d, (i + 1) * d)))
    }
    return ids.map((id) => this.#embeddings.get(id) as Float32Array)
  }

  /**
   * C(x_j) of a prompt's positions, kept with the prompt like its α (the last few prompts, 16 MB
   * in all): a re-run after an edit then makes no round trip to the engine worker, whose answer is
   * a new array each time (1.5 MB for 32 positions at full size, ~5 ms of fresh pages here).
   */
  async #senses(ids: readonly number[]): Promise<Float32Array[]> {
    const key = ids.join(',')
    let senses = this.#promptSenses.get(key)
    if (!senses) {
      senses = await this.tokenSenses(ids)
      this.#promptSenses.set(key, senses)
    }
    return senses
  }

  /** Senses of tokens after the vector edits, each (sense, d_model). Shared: do not modify. */
  async editedSenses(ids: readonly number[], edits: readonly VectorEdit[]): Promise<Float32Array[]> {
    return this.#edit(ids, await this.tokenSenses(ids), edits)
  }

  /** `editedSenses` from the unedited senses `base` of `ids`. */
  async #edit(ids: readonly number[], base: Float32Array[], edits: readonly VectorEdit[]): Promise<Float32Array[]> {
    if (edits.length === 0) return base
    const targets = editsByToken(edits)
    if (!ids.some((id) => targets.has(id))) return base
    const key = vectorEditKey(edits)
    // what the edits of these ids read (not the whole document's: a blast radius asks in blocks)
    const mine = [...new Set(ids)].flatMap((id) => targets.get(id) ?? [])
    const needEmb = mine.flatMap((e) => (e.kind === 'knowledge-edit' ? [e.remove, e.add] : []))
    const needSrc = mine.flatMap((e) => ((e.kind === 'replace-sense' || e.kind === 'add-sense') && 'token' in e.from ? [e.from.token] : []))
    const emb = new Map((await this.embedding(needEmb)).map((v, i) => [needEmb[i], v]))
    const src = new Map((await this.tokenSenses(needSrc)).map((v, i) => [needSrc[i], v]))
    const { nEmbd: d } = this.engine.config
    return ids.map((id, i) => {
      if (!targets.has(id)) return base[i]
      const k = `${key}|${id}`
      let v = this.#edited.get(k)
      if (!v) {
        v = editSenseVectors(id, base[i], d, targets.get(id) as VectorEdit[], {
          embedding: (t) => emb.get(t) as Float32Array,
          sourceSense: (t, l) => (src.get(t) as Float32Array).subarray(l * d, (l + 1) * d),
        })
        this.#edited.set(k, v)
        this.#scales.set(v, senseScales(id, this.engine.config.numSenses, targets.get(id) as VectorEdit[]))
      }
      return v
    })
  }

  /**
   * The forward pass under `edits` (null or empty: the plain model through the same path). A topic
   * edit may need the sense table built: `signal` and `onTableProgress` are this call's.
   */
  async run(
    ids: readonly number[],
    edits: ParsedSenseEdits | null,
    options: { positions?: number[] } & RunCallOptions = {},
  ): Promise<EditedForward> {
    const { numSenses: k, nEmbd: d, nPositions, vocabSize: V } = this.engine.config
    const n = ids.length
    if (n === 0) throw new WorkbenchError('bad-request', 'no tokens to run')
    if (n > nPositions) throw new WorkbenchError('too-long', `${n} tokens exceed the model's ${nPositions} positions`)
    // checked here, not left to the worker: α and the senses are asked for concurrently below
    ids.forEach((id, i) => {
      if (!Number.isInteger(id) || id < 0 || id >= V)
        throw new WorkbenchError('bad-request', `prompt token ${id} at index ${i} is outside the vocabulary [0, ${V})`)
    })
    const positions = options.positions ?? ids.map((_, i) => i)
    for (const p of positions)
      if (!Number.isInteger(p) || p < 0 || p >= n) throw new WorkbenchError('bad-request', `position ${p} is outside the prompt [0, ${n})`)
    const all = edits?.edits ?? []
    const vectorEdits = all.filter(isVectorEdit)
    const topic = all.find((e): e is TopicEdit => e.kind === 'topic')
    const alphaEdits = all.filter((e): e is AlphaEdit => e.kind === 'scale-contextualization')
    const rebasable = !topic && alphaEdits.length === 0
    const allPositions = positions.length === n && positions.every((p, i) => p === i)
    // a run that is or can become a re-run base: the arrays of its re-runs are made meanwhile
    if (rebasable && allPositions && this.#bases.expect(n)) this.#memory.reserve(k * n * d, RESIDENT_OUTPUTS)
    const t0 = performance.now()
    const alphaPromise = this.contextualization(ids)
    alphaPromise.catch(() => {}) // awaited below; if the senses fail first, its failure must not go unhandled
    const perToken = await this.#edit(ids, await this.#senses(ids), vectorEdits)
    const senses = this.#memory.take(k * n * d) // (sense, pos, d_model), every element written below
    for (let j = 0; j < n; j++) for (let l = 0; l < k; l++) senses.set(perToken[j].subarray(l * d, (l + 1) * d), (l * n + j) * d)
    const t1 = performance.now()
    let topicScale: Float32Array | undefined
    if (topic) {
      const delta = await this.topicDelta(topic, options)
      const emb = await this.embedding(ids)
      const embeddings = new Float32Array(n * d) // (pos, d_model)
      emb.forEach((v, i) => embeddings.set(v, i * d))
      topicScale = annealedTopicScale(ids, senses, embeddings, delta, k, d, topic.strength) // (sense, pos)
      for (let l = 0; l < k; l++)
        for (let j = 0; j < n; j++) {
          const s = topicScale[l * n + j]
          const off = (l * n + j) * d
          for (let c = 0; c < d; c++) senses[off + c] *= s
        }
    }
    const t2 = performance.now()
    const baseAlpha = await alphaPromise
    const t3 = performance.now()
    const alpha = alphaEdits.length > 0 ? editContextualization(baseAlpha, n, alphaEdits) : baseAlpha
    const key = ids.join(',')
    // factors of each position's senses over the unedited C(x): 1 for vectors no edit touched
    const scales = perToken.map((v) => this.#scales.get(v) ?? unscaled(k))
    let logits = rebasable
      ? await this.#bases.rows(key, ids, perToken, scales, alpha, positions, (tokens) => this.tokenSenses(tokens))
      : null
    if (!logits) {
      const alphaRows = selectRows(alpha, k, n, positions) // (sense, n_query, pos)
      logits = await this.engine.combine({ senses, alphaRows, nQuery: positions.length })
      if (rebasable && allPositions) this.#bases.keep(key, perToken, scales, logits)
    }
    if (all.length > 0) assertFiniteLogits(logits, V, positions)
    const t4 = performance.now()
    return {
      ids: [...ids],
      positions,
      logits,
      senses,
      contextualization: alpha,
      ...(topicScale ? { topicScale } : {}),
      edited: all.length > 0,
      timingsMs: { senses: t1 - t0, topic: t2 - t1, contextualize: t3 - t2, combine: t4 - t3, total: t4 - t0 },
    }
  }

  /** Topic steps 1–2 for a bag and strength, cached (needs the whole-vocabulary table: built with this call's options). */
  async topicDelta(topic: TopicEdit, call: RunCallOptions = {}): Promise<Float32Array> {
    const key = `${topic.bag.join(',')}|${topic.strength}`
    let delta = this.#topic.get(key)
    if (delta) return delta
    if (!this.#options.senseTable)
      throw new WorkbenchError('internal', 'topic edits need the whole-vocabulary sense table, and none was configured')
    const table = await this.#options.senseTable(call)
    const scores = await this.topicScores(table, topic.bag)
    delta = topicStaticDeltas(scores, topic.strength).delta
    this.#topic.set(key, delta)
    return delta
  }

  readonly #topicScores = new Map<string, Float32Array>() // bag → s (vocab, sense)
  /** Statistics of the last topic step 1: rows rescored exactly (and their tokens); milliseconds in all, of the bounded dots, of the rescoring. */
  lastTopicScores: { rows: number; rescored: number; tokens: number; ms: number; dotsMs: number; rescoreMs: number } | null = null

  /**
   * Topic step 1 for a bag, cached: s(x, ℓ) = b·(E·C(x)_ℓ) / max with the bag dot
   * (Σ_{v∈bag} E_v)·C(x)_ℓ in float64 on the exact fp32 senses wherever it can change δ — the
   * table's fp16 vectors give every row with a bound, and the rows that can reach a quantile are
   * rescored from the engine's exact vectors (`exactTopicSenseScores`).
   */
  async topicScores(table: SenseTable, bag: readonly number[]): Promise<Float32Array> {
    const key = bag.join(',')
    const hit = this.#topicScores.get(key)
    if (hit) return hit
    const t0 = performance.now()
    const { vocabSize, numSenses: k, nEmbd: d } = this.engine.config
    const bagVec = new Float64Array(d)
    for (const e of await this.embedding(bag)) for (let c = 0; c < d; c++) bagVec[c] += e[c]
    const { dots, bound } = table.dotAllBounded(bagVec)
    const t1 = performance.now()
    let rescoreMs = 0
    let tokenCount = 0
    const { scores, rescored } = await exactTopicSenseScores({
      dots,
      bound,
      maxScore: table.maxScore,
      vocabSize,
      numSenses: k,
      exactDots: async (rows) => {
        const t2 = performance.now()
        const tokens = [...new Set(rows.map((r) => Math.floor(r / k)))].sort((a, b) => a - b)
        tokenCount += tokens.length
        const at = new Map<number, number>()
        const out = new Float64Array(rows.length)
        for (let t0 = 0; t0 < tokens.length; t0 += 512) {
          const batch = tokens.slice(t0, t0 + 512)
          const vecs = await this.engine.senseVectors(batch) // (batch, sense, d_model), exact fp32
          batch.forEach((t, i) => at.set(t, i))
          rows.forEach((r, j) => {
            const i = at.get(Math.floor(r / k))
            if (i === undefined) return
            let s = 0
            const off = (i * k + (r % k)) * d
            for (let c = 0; c < d; c++) s += vecs[off + c] * bagVec[c]
            out[j] = s
          })
          at.clear()
        }
        rescoreMs += performance.now() - t2
        return out
      },
    })
    this.lastTopicScores = { rows: vocabSize * k, rescored, tokens: tokenCount, ms: performance.now() - t0, dotsMs: t1 - t0, rescoreMs }
    this.#topicScores.set(key, scores)
    return scores
  }

  /**
   * Worst-case change of log p(a) − log p(b) over all contexts under the global vector edits.
   * Topic and α edits depend on the context and are not bounded: `notCovered` names them.
   */
  async blastRadius(
    edits: ParsedSenseEdits,
    a: number,
    b: number,
    options: BlastRadiusOptions = {},
  ): Promise<BlastRadius & { notCovered: BlastRadiusNotCovered }> {
    const { radii, notCovered } = await computeBlastRadii(this, edits, [[a, b]], true, options)
    return { ...(radii[0] as BlastRadius), notCovered }
  }

  /**
   * The blast radius of every pair [a, b] under one document, without the per-token detail. Each
   * edited token's sense change ΔC = C̃ − C is computed once for the request and fed to every pair;
   * the numbers are those of `blastRadius` pair by pair. After each block of work it reports the
   * edited tokens done, yields to the event loop, and stops with `cancelled` once `signal` is aborted.
   */
  async blastRadii(
    edits: ParsedSenseEdits,
    pairs: readonly (readonly [number, number])[],
    options: BlastRadiusOptions = {},
  ): Promise<{ radii: BlastRadiusBounds[]; notCovered: BlastRadiusNotCovered }> {
    return computeBlastRadii(this, edits, pairs, false, options)
  }
}

const ones = new Map<number, Float64Array>()
/** The factors of unedited senses: all 1 (one shared read-only array per sense count). */
function unscaled(k: number): Float64Array {
  let s = ones.get(k)
  if (!s) ones.set(k, (s = new Float64Array(k).fill(1)))
  return s
}

/** Rows of α for the query positions: (sense, pos, pos) → (sense, n_query, pos). */
export function selectRows(alpha: Float32Array, k: number, n: number, positions: readonly number[]): Float32Array {
  if (positions.length === n && positions.every((p, i) => p === i)) return alpha
  const out = new Float32Array(k * positions.length * n)
  for (let l = 0; l < k; l++)
    positions.forEach((p, q) => out.set(alpha.subarray((l * n + p) * n, (l * n + p + 1) * n), (l * positions.length + q) * n))
  return out
}

/**
 * A short digest of the edits, not their JSON: the key prefixes one #edited entry per token, and
 * V8 hashes a string longer than 16383 characters by its length alone, so with a long document
 * (a few hundred edits) every `${json}|${id}` key of the same length collided and each lookup
 * compared whole keys — 800 edits took ~9 s per blast radius, 10,000 (allowed) hours.
 */
const keys = new WeakMap<readonly VectorEdit[], string>()
export function vectorEditKey(edits: readonly VectorEdit[]): string {
  let key = keys.get(edits)
  if (!key) {
    const json = JSON.stringify(edits, (_, v) => (v instanceof Float32Array ? Array.from(v) : v))
    key = createHash('sha256').update(json).digest('base64')
    keys.set(edits, key)
  }
  return key
}

/**
 * The edits of each token, in document order: `editSenseVectors` applies only a token's own edits,
 * so handing it these instead of the whole list gives the same vectors without scanning every
 * edit for every token (10,000 edits on 10,000 tokens: 10^8 steps).
 */
const grouped = new WeakMap<readonly VectorEdit[], Map<number, VectorEdit[]>>()
function editsByToken(edits: readonly VectorEdit[]): Map<number, VectorEdit[]> {
  let byToken = grouped.get(edits)
  if (!byToken) {
    byToken = new Map()
    for (const e of edits) {
      const list = byToken.get(e.token)
      if (list) list.push(e)
      else byToken.set(e.token, [e])
    }
    grouped.set(edits, byToken)
  }
  return byToken
}

/**
 * Logits under edits must be finite: each factor and value is bounded, but edits compound
 * (60 × scale-sense 1e6 on one token) and float32 overflows, after which top-k, softmax and the
 * attribution sums silently come out empty or null. (rows, vocab); rows[q] names row q's position;
 * `tokens`: the ids of the columns when they are not the whole vocabulary.
 */
export function assertFiniteLogits(
  logits: ArrayLike<number>,
  vocabSize: number,
  rows: readonly number[],
  tokens?: readonly number[],
): void {
  // a float64 sum of float32 values cannot overflow (3.4e38 × 2^31 < 1.8e308): finite iff every
  // value is; the scan below names the first bad one. Four independent sums: 1.0 ms for 32 ×
  // 50,264 where one chain of dependent adds took 2.0 ms (and testing each value more)
  let s0 = 0
  let s1 = 0
  let s2 = 0
  let s3 = 0
  let i = 0
  for (; i + 3 < logits.length; i += 4) {
    s0 += logits[i]
    s1 += logits[i + 1]
    s2 += logits[i + 2]
    s3 += logits[i + 3]
  }
  for (; i < logits.length; i++) s0 += logits[i]
  if (Number.isFinite(s0 + s1 + s2 + s3)) return
  for (let i = 0; i < logits.length; i++) {
    if (Number.isFinite(logits[i])) continue
    const row = Math.floor(i / vocabSize)
    throw new WorkbenchError(
      'edit-invalid',
      `the edits make the logits not finite (${logits[i]} for token ${tokens ? tokens[i % vocabSize] : i % vocabSize} at position ${rows[row] ?? row}): ` +
        'their scale factors or vector values, compounded, overflow float32; use smaller factors or fewer edits on the same sense',
    )
  }
}
