import { GPT2_TEXT_VOCAB } from '../../shared/model/config'

/**
 * Indices of the k largest (or smallest) values of values[offset .. offset+length), best first.
 * One pass with a small sorted buffer: O(length · log k) comparisons in the common case.
 */
export function topKIndices(values: ArrayLike<number>, offset: number, length: number, k: number, largest = true): number[] {
  return scanTopK(values, offset, length, k, largest ? 1 : -1, NaN).top // nothing is above NaN: no count
}

/**
 * `topKIndices(values, offset, length, k)` (largest first, the same ties and NaN rule) and, in the
 * same pass, how many of the values exceed `than` — a token's rank is 1 + that count. One pass
 * instead of two over a vocabulary row (predict-tokens.ts does this for every prompt position).
 */
export function topKWithCountAbove(
  values: ArrayLike<number>,
  offset: number,
  length: number,
  k: number,
  than: number,
): { top: number[]; above: number } {
  return scanTopK(values, offset, length, k, 1, than)
}

/** The one loop of both: the k best of sign·v, and the count of raw values above `than`. */
function scanTopK(
  values: ArrayLike<number>,
  offset: number,
  length: number,
  k: number,
  sign: 1 | -1,
  than: number,
): { top: number[]; above: number } {
  const idx: number[] = []
  const val: number[] = []
  let threshold = -Infinity // sign·(worst kept value) once k are kept
  let above = 0
  for (let i = 0; i < length; i++) {
    const x = values[offset + i]
    if (x > than) above++
    const v = sign * x // compare sign·v so both directions share one loop
    if (!(v > threshold)) {
      if (idx.length === k || Number.isNaN(v)) continue
    }
    insertBestFirst(idx, val, k, i, v)
    if (idx.length === k) threshold = val[k - 1]
  }
  return { top: idx.slice(0, k), above }
}

/**
 * Puts (index, value) in its place in a best-first buffer of at most k entries (`val` descending,
 * `idx` alongside), dropping the last entry when the buffer is full. The caller has checked that
 * the value belongs: the buffer is not full yet, or value > val[k - 1].
 */
export function insertBestFirst(idx: number[], val: number[], k: number, index: number, value: number): void {
  let pos = idx.length === k ? k - 1 : idx.length
  while (pos > 0 && value > val[pos - 1]) {
    if (pos < k) {
      val[pos] = val[pos - 1]
      idx[pos] = idx[pos - 1]
    }
    pos--
  }
  val[pos] = value
  idx[pos] = index
}

/** How many ids of a `vocabSize` model are real tokens (ids ≥ 50257 are padding rows). */
export function textVocabSize(vocabSize: number): number {
  return Math.min(vocabSize, GPT2_TEXT_VOCAB)
}

/**
 * log Σ exp over the first `n` entries of a row (padding ids excluded by passing n = text vocab).
 * `max`: the largest (non-NaN) of those entries when the caller already has it (e.g. the first of
 * `topKIndices`), saving a pass; -Infinity when there is none.
 */
export function logSumExp(row: ArrayLike<number>, offset: number, n: number, max?: number): number {
  let mx = -Infinity
  if (max !== undefined) mx = max
  else for (let i = 0; i < n; i++) if (row[offset + i] > mx) mx = row[offset + i]
  let s = 0
  for (let i = 0; i < n; i++) s += Math.exp(row[offset + i] - mx)
  return mx + Math.log(s)
}
