import { WorkbenchError } from '../../shared/errors'
import { checkGenerationSetting } from '../../shared/generation-settings'
import { textVocabSize, topKIndices } from '../math/top-k'
import type { SeededRandom } from './seeded-random'

/** How the next token is chosen from the logits. */
export type DecodingSettings =
  | { strategy: 'greedy' }
  | {
      strategy: 'sample'
      /** > 0; 1 = the model's distribution (pure ancestral sampling with no topK/topP) */
      temperature: number
      /** keep only the k most likely tokens (omitted: all) */
      topK?: number
      /** keep the smallest most-likely set whose mass reaches p, 0 < p ≤ 1 (omitted: 1) */
      topP?: number
      seed: number
    }

/** Checks untrusted settings; returns them with the defaults filled in. */
export function checkDecodingSettings(s: DecodingSettings): DecodingSettings {
  if (s.strategy === 'greedy') return { strategy: 'greedy' }
  if (s.strategy !== 'sample')
    throw new WorkbenchError(
      'bad-request',
      `decoding strategy must be "greedy" or "sample", got ${JSON.stringify((s as { strategy: unknown }).strategy)}`,
    )
  // temperature, top-p and seed: the doors' ranges (a seed above 2^32 − 1 would alias another's stream)
  checkGenerationSetting('temperature', s.temperature)
  if (s.topK !== undefined && !(Number.isInteger(s.topK) && s.topK >= 1))
    throw new WorkbenchError('bad-request', `top-k must be an integer ≥ 1, got ${s.topK}`)
  if (s.topP !== undefined) checkGenerationSetting('topP', s.topP, 'top-p')
  checkGenerationSetting('seed', s.seed)
  return {
    strategy: 'sample',
    temperature: s.temperature,
    seed: s.seed,
    ...(s.topK !== undefined ? { topK: s.topK } : {}),
    ...(s.topP !== undefined ? { topP: s.topP } : {}),
  }
}

export interface ChosenToken {
  id: number
  /** log p(id) under the model's distribution (temperature 1, padding ids masked) */
  logProb: number
}

/**
 * Picks the next token from one logits row (vocab). Padding ids (≥ 50257) are never chosen:
 * only the first `textVocabSize(vocab)` entries take part. Greedy takes the largest logit (the
 * lowest id on ties). Sampling works in float64: softmax of logit/temperature, then top-k,
 * then top-p over the remaining tokens in descending probability (ties by id), then one draw
 * u ∈ [0, 1) from `rng` walked over the candidates in a fixed order — so the same seed and
 * settings give the same token for the same logits.
 */
export function chooseToken(
  logits: Float32Array,
  offset: number,
  vocabSize: number,
  settings: DecodingSettings,
  rng: SeededRandom | null,
): ChosenToken {
  const n = textVocabSize(vocabSize)
  const arg = greedyToken(logits, offset, vocabSize)
  const mx = logits[offset + arg]
  const logProb = (id: number) => tokenLogProb(logits, offset, vocabSize, id)
  if (settings.strategy === 'greedy') return { id: arg, logProb: logProb(arg) }
  if (!rng) throw new WorkbenchError('internal', 'sampling needs a random generator')
  const t = settings.temperature
  let candidates: number[] | null = null // null: every id, in id order
  if (settings.topK !== undefined && settings.topK < n) candidates = topKIndices(logits, offset, n, settings.topK)
  const weight = (v: number) => Math.exp((logits[offset + v] - mx) / t)
  if (settings.topP !== undefined && settings.topP < 1) {
    const order = candidates ?? Array.from({ length: n }, (_, v) => v)
    const w = new Float64Array(n)
    let total = 0
    for (const v of order) total += w[v] = weight(v)
    order.sort((a, b) => w[b] - w[a] || a - b)
    const kept: number[] = []
    let mass = 0
    for (const v of order) {
      kept.push(v)
      mass += w[v]
      if (mass >= settings.topP * total) break
    }
    candidates = kept
  }
  const ids = candidates ?? null
  let total = 0
  const count = ids ? ids.length : n
  const w = new Float64Array(count)
  for (let i = 0; i < count; i++) total += w[i] = weight(ids ? ids[i] : i)
  const u = rng.next() * total
  let acc = 0
  let last = -1
  for (let i = 0; i < count; i++) {
    if (w[i] <= 0) continue
    last = i
    acc += w[i]
    if (u < acc) break
  }
  const id = ids ? ids[last] : last
  return { id, logProb: logProb(id) }
}

/** The greedy choice alone: the largest logit among the text ids (the lowest id on ties). */
export function greedyToken(logits: Float32Array, offset: number, vocabSize: number): number {
  const n = textVocabSize(vocabSize)
  let mx = -Infinity
  let arg = 0
  for (let v = 0; v < n; v++) {
    const x = logits[offset + v]
    if (x > mx) {
      mx = x
      arg = v
    }
  }
  if (!Number.isFinite(mx)) throw new WorkbenchError('runtime', `the logits hold no finite value (max ${mx})`)
  return arg
}

/** log p(id) under the model's distribution over the text ids (temperature 1, padding masked). */
export function tokenLogProb(logits: Float32Array, offset: number, vocabSize: number, id: number): number {
  const n = textVocabSize(vocabSize)
  let mx = -Infinity
  for (let v = 0; v < n; v++) if (logits[offset + v] > mx) mx = logits[offset + v]
  let z = 0
  for (let v = 0; v < n; v++) z += Math.exp(logits[offset + v] - mx)
  return logits[offset + id] - mx - Math.log(z)
}
