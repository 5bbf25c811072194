import { WorkbenchError } from '../../shared/errors'
import type { TiedGroupInfo } from '../../shared/ipc/api-types'
import type { BackpackEngine } from '../runtime/backpack-engine'
import { textVocabSize } from '../math/top-k'
import { gpt2Tokenizer } from '../tokenizer/gpt2-tokenizer'
import { combineWordSenses, resolveWord, type ResolvedWord, type WordPolicy } from './resolve-word'
import { rankScores, type RankedScores } from '../math/rank-scores'
import { awaitSharedScores, SCORES_BYTE } from '../math/shared-ranking'
import type { ScoreSummary } from '../math/score-summary'
import { collapseRanked } from './collapse-ties'
import type { TiedTokens, TiesMode } from './tied-tokens'
import { tokenSenses } from './token-senses'

export interface ScoredVocabToken {
  id: number
  text: string
  score: number
  /** on a collapsed entry: the tied group it stands for */
  tied?: TiedGroupInfo
}

/** Tied tokens and what to do with them (absent: lists as ranked, every token shown). */
export interface TiesOption {
  tied: TiedTokens
  mode: TiesMode
}

export interface SenseCard {
  sense: number
  norm: number
  /** highest E·C_ℓ scores (raw dot products, "log-probability contributions", no softmax) */
  top: ScoredVocabToken[]
  bottom: ScoredVocabToken[]
  /** distribution of E·C_ℓ over the real tokens (padding ids excluded) */
  summary: ScoreSummary
}

export interface SenseAtlas extends ResolvedWord {
  senses: SenseCard[]
  /** the K sense vectors (sense, d_model) as nested arrays, when asked for */
  vectors?: number[][]
  timingsMs: Record<string, number>
}

export interface SenseAtlasOptions {
  top?: number
  policy?: WordPolicy
  rawSpacing?: boolean
  bins?: number
  includeVectors?: boolean
  ties?: TiesOption
}

/**
 * One word's sense atlas (backpack-spec.md §4.1): its K sense vectors and, per sense, the top-k
 * and bottom-k tokens of E·C(x)_ℓ with scores and the whole-vocabulary score distribution. The
 * projection runs as one `engine.project` call of K vectors; padding ids ≥ 50257 are excluded.
 */
export async function senseAtlas(engine: BackpackEngine, word: string, options: SenseAtlasOptions = {}): Promise<SenseAtlas> {
  const t0 = performance.now()
  const resolved = resolveWord(word, engine.config.vocabSize, options)
  const vectors = combineWordSenses(await tokenSenses(engine, resolved.used)) // (sense, d_model)
  const t1 = performance.now()
  const { senses, timingsMs } = await senseCards(engine, vectors, options)
  return {
    ...resolved,
    senses,
    ...(options.includeVectors ? { vectors: toNested(vectors, engine.config.nEmbd) } : {}),
    timingsMs: { senses: t1 - t0, ...timingsMs, total: performance.now() - t0 },
  }
}

/** Sense cards for any K vectors (sense, d_model), e.g. word arithmetic results. */
export async function senseCards(
  engine: BackpackEngine,
  vectors: Float32Array,
  options: { top?: number; bins?: number; ties?: TiesOption } = {},
): Promise<{ senses: SenseCard[]; timingsMs: Record<string, number> }> {
  const { vocabSize: V, numSenses: k, nEmbd: d } = engine.config
  const top = options.top ?? 10
  const bins = options.bins ?? 20
  if (!Number.isInteger(top) || top < 1 || top > 1000)
    throw new WorkbenchError('bad-request', `top must be an integer in [1, 1000], got ${top}`)
  const textV = textVocabSize(V)
  const t0 = performance.now()
  // one fused ranking pass set per sense: top-k, bottom-k and the summary (same results as topKIndices + scoreSummary)
  let scores: Float32Array // (sense, vocab)
  let ranked: RankedScores[]
  let t1: number
  let release = () => {}
  if (engine.projectRanked) {
    // the engine's thread ranks the last senses while this one ranks the first; this one takes
    // 9 of 16, as the worker starts later (it copies the scores first) and ranked ~0.1 ms/sense slower
    const shared = takeShared(SCORES_BYTE + k * V * 4)
    release = () => giveShared(shared)
    const half = Math.ceil((k * 9) / 16)
    const theirs = engine.projectRanked({ vectors, n: k, shared, rankFrom: half, length: textV, top, bins })
    scores = await awaitSharedScores(shared, theirs)
    t1 = performance.now()
    ranked = Array.from({ length: half }, (_, l) => rankScores(scores, l * V, textV, top, bins))
    ranked.push(...(await theirs))
  } else {
    scores = await engine.project(vectors, k)
    t1 = performance.now()
    ranked = Array.from({ length: k }, (_, l) => rankScores(scores, l * V, textV, top, bins))
  }
  if (options.ties?.mode === 'collapse')
    ranked = ranked.map((r, l) => collapseRanked(r, scores, l * V, textV, top, options.ties?.tied as TiedTokens))
  const tok = gpt2Tokenizer()
  const tied = options.ties?.mode === 'collapse' ? options.ties.tied : null
  const named = (l: number, ids: number[]) =>
    ids.map((id) => {
      const info = tied?.info(id)
      return { id, text: tok.tokenText(id), score: scores[l * V + id], ...(info ? { tied: info } : {}) }
    })
  const senses = ranked.map((r, l) => {
    let nn = 0
    for (let c = 0; c < d; c++) nn += vectors[l * d + c] ** 2
    return { sense: l, norm: Math.sqrt(nn), top: named(l, r.top), bottom: named(l, r.bottom), summary: r.summary }
  })
  release()
  return { senses, timingsMs: { project: t1 - t0, rank: performance.now() - t1 } }
}

/**
 * Shared score buffers are reused (a fresh 3 MB one costs ~1.2 ms of page faults when the worker
 * fills it): one per atlas in flight, at most two kept. A buffer goes back only after a
 * successful atlas, when neither thread reads or writes it any more.
 */
const sharedPool: SharedArrayBuffer[] = []
function takeShared(bytes: number): SharedArrayBuffer {
  const i = sharedPool.findIndex((b) => b.byteLength === bytes)
  const buf = i >= 0 ? sharedPool.splice(i, 1)[0] : new SharedArrayBuffer(bytes)
  Atomics.store(new Int32Array(buf, 0, 1), 0, 0) // pending
  return buf
}
function giveShared(buf: SharedArrayBuffer): void {
  if (sharedPool.length < 2) sharedPool.push(buf)
}

function toNested(v: Float32Array, d: number): number[][] {
  return Array.from({ length: v.length / d }, (_, l) => Array.from(v.subarray(l * d, (l + 1) * d)))
}
