import { TOPIC_STRENGTH_WEIGHTS } from '../../shared/edits/topic-words'
import { orderStatistics, quantiles } from '../math/quantiles'
import { dot } from './edit-sense-vectors'

/**
 * Topic control exactly as the authors' code does it (backpack-spec.md §4.3; Hewitt et al. 2023
 * §6.1, App. D.1). Step 1 and 2 are static per (checkpoint, bag, strength); step 3 runs on every
 * forward pass.
 */

/**
 * Step 1: s(x, ℓ) = b·(E·C(x)_ℓ) / max_v (E·C(x)_ℓ)_v for x < 50256 (and < vocab); other rows 0.
 * bagDot (vocab, sense) = (Σ_{v∈bag} E_v)·C(x)_ℓ; maxScore (vocab, sense) = the signed max.
 */
export function topicSenseScores(
  bagDot: Float32Array,
  maxScore: Float32Array,
  vocabSize: number,
  numSenses: number,
  scoredTokens = 50256,
): Float32Array {
  const s = new Float32Array(vocabSize * numSenses) // (vocab, sense)
  const n = Math.min(vocabSize, scoredTokens) * numSenses
  for (let i = 0; i < n; i++) s[i] = bagDot[i] / maxScore[i]
  return s
}

/**
 * Step 1 from approximate bag dots with error bounds (an fp16 table's), made exact where it
 * matters: s(x, ℓ) only enters through the three quantiles and the comparisons with them, so
 * every row whose score interval [(dot − bound)/max, (dot + bound)/max] can reach the window in
 * which a needed order statistic may lie (rank ⌊p·(n−1)⌋ and the next, for p = 0.95, 0.80, 0.60:
 * between the same rank of all lower and of all upper ends) is rescored exactly through
 * `exactDots` (float64 dots of the exact fp32 sense vectors). Every other row lies strictly on
 * one side of each window, so its approximate score orders and compares like its exact one: the
 * quantiles and the δ of `topicStaticDeltas` on the result are those of the exact scores.
 * Two rounds: first the rows whose interval holds the approximate quantiles (almost all of the
 * rows needed), which narrows the windows to about the exact quantiles; then every row still
 * reaching a window (rescored rows are points, so windows only shrink and one more round ends
 * it). Rows with a non-positive max or a non-finite dot are rescored in the first round.
 * Exact score = fround(dot/max).
 */
export async function exactTopicSenseScores(args: {
  dots: Float64Array
  bound: Float64Array
  maxScore: Float32Array
  vocabSize: number
  numSenses: number
  scoredTokens?: number
  exactDots: (rows: number[]) => Promise<Float64Array>
}): Promise<{ scores: Float32Array; rescored: number }> {
  const { dots, bound, maxScore, vocabSize, numSenses } = args
  const n = vocabSize * numSenses
  const m = Math.min(vocabSize, args.scoredTokens ?? 50256) * numSenses
  const ps = [0.95, 0.8, 0.6]
  const s = new Float32Array(n) // rows ≥ m stay 0, exactly
  const lo = new Float64Array(n)
  const hi = new Float64Array(n)
  const exact = new Uint8Array(n).fill(1, m) // 1: s[r] is the exact score
  const first: number[] = []
  for (let r = 0; r < m; r++) {
    const mx = maxScore[r]
    const a = dots[r]
    const b = bound[r]
    if (!(mx > 0) || !Number.isFinite(a) || !Number.isFinite(b)) {
      first.push(r)
      lo[r] = -Infinity
      hi[r] = Infinity
      continue
    }
    s[r] = a / mx
    // division by mx > 0 and fround are monotone: the exact fround(e/mx) for e ∈ [a−b, a+b] lies here
    lo[r] = Math.fround((a - b) / mx)
    hi[r] = Math.fround((a + b) / mx)
  }
  let rescored = 0
  const rescore = async (rows: number[]) => {
    if (rows.length === 0) return
    const e = await args.exactDots(rows)
    rows.forEach((r, i) => {
      s[r] = e[i] / maxScore[r]
      lo[r] = hi[r] = s[r]
      exact[r] = 1
    })
    rescored += rows.length
  }
  // round 1: intervals holding an approximate quantile
  const approx = quantiles(s, ps)
  for (let r = 0; r < m; r++) {
    if (exact[r] || hi[r] === Infinity) continue
    for (const q of approx) {
      if (lo[r] <= q && q <= hi[r]) {
        first.push(r)
        break
      }
    }
  }
  await rescore(first)
  // round 2: everything still reaching a window
  const at = ps.map((p) => Math.floor(p * (n - 1)))
  const lowest = orderStatistics(lo, at) // rank i of the lower ends, of the upper ends: no full sort of either
  const highest = orderStatistics(
    hi,
    at.map((i) => Math.min(n - 1, i + 1)),
  )
  const windows = at.map((i) => [lowest.get(i) as number, highest.get(Math.min(n - 1, i + 1)) as number])
  const second: number[] = []
  for (let r = 0; r < m; r++) {
    if (exact[r]) continue
    for (const [wl, wh] of windows) {
      if (hi[r] >= wl && lo[r] <= wh) {
        second.push(r)
        break
      }
    }
  }
  await rescore(second)
  return { scores: s, rescored }
}

/**
 * Step 2: δ(x, ℓ) from the 0.95/0.80/0.60 quantiles of all scores (zeros included, linear
 * interpolation as torch.quantile): w0 above q95, w1 in (q80, q95), w2 in (q60, q80), w3 below
 * q60, and exact ties with a quantile stay at 1.
 */
export function topicStaticDeltas(
  scores: Float32Array,
  strength: 0 | 1 | 2 | 3,
): { delta: Float32Array; q: { q95: number; q80: number; q60: number } } {
  const [w0, w1, w2, w3] = TOPIC_STRENGTH_WEIGHTS[strength]
  const [q95, q80, q60] = quantiles(scores, [0.95, 0.8, 0.6])
  const delta = new Float32Array(scores.length) // (vocab, sense)
  for (let i = 0; i < scores.length; i++) {
    const s = scores[i]
    let d = 1
    if (s > q95) d = w0
    else if (s > q80 && s < q95) d = w1
    else if (s > q60 && s < q80) d = w2
    else if (s < q60) d = w3
    delta[i] = d
  }
  return { delta, q: { q95, q80, q60 } }
}

/**
 * Step 3, for the current sequence: a_{ℓj} = Σ_i max(0, E[x_i]·C(x_j)_ℓ) over all positions i,
 * score = σ(−f·a + 6)·(1 + j/100) with f = max(w)/7.5, and the multiplier on C(x_j)_ℓ is
 * score·δ(x_j, ℓ) + (1 − score). Returns senseScale (sense, pos).
 * senses (sense, pos, d_model) are the sequence's (already vector-edited) senses; embeddings
 * (pos, d_model) are E[x_i]; delta (vocab, sense) from step 2.
 */
export function annealedTopicScale(
  ids: readonly number[],
  senses: Float32Array,
  embeddings: Float32Array,
  delta: Float32Array,
  numSenses: number,
  dModel: number,
  strength: 0 | 1 | 2 | 3,
): Float32Array {
  const n = ids.length
  const f = Math.max(...TOPIC_STRENGTH_WEIGHTS[strength]) / 7.5
  // distinct tokens: a_{ℓj} depends on x_j only, and the sum over i on the multiset of ids
  const count = new Map<number, number>()
  const firstPos = new Map<number, number>()
  ids.forEach((id, i) => {
    count.set(id, (count.get(id) ?? 0) + 1)
    if (!firstPos.has(id)) firstPos.set(id, i)
  })
  const a = new Map<number, Float64Array>() // token → (sense)
  for (const [u, j] of firstPos) {
    const row = new Float64Array(numSenses)
    for (let l = 0; l < numSenses; l++) {
      let sum = 0
      for (const [t, c] of count) {
        const score = dot(embeddings, (firstPos.get(t) as number) * dModel, senses, (l * n + j) * dModel, dModel)
        if (score > 0) sum += c * score
      }
      row[l] = sum
    }
    a.set(u, row)
  }
  const scale = new Float32Array(numSenses * n) // (sense, pos)
  for (let j = 0; j < n; j++) {
    const row = a.get(ids[j]) as Float64Array
    for (let l = 0; l < numSenses; l++) {
      const score = (1 / (1 + Math.exp(f * row[l] - 6))) * (1 + j / 100)
      scale[l * n + j] = score * delta[ids[j] * numSenses + l] + (1 - score)
    }
  }
  return scale
}
