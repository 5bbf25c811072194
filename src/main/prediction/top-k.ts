import { GPT2_TEXT_VOCAB } from '../../shared/model/config'

/**
 * Indices of the k largest (or smallest) values of values[offset .. offset+length), best first.
 * One pass with a small sorted buffer: O(length · log k) comparisons in the common case.
 */
export function topKIndices(values: ArrayLike<number>, offset: number, length: number, k: number, largest = true): number[] {
  const idx: number[] = []
  const val: number[] = []
  const sign = largest ? 1 : -1 // compare sign·v so both directions share one loop
  let threshold = -Infinity // sign·(worst kept value) once k are kept
  for (let i = 0; i < length; i++) {
    const v = sign * values[offset + i]
    if (!(v > threshold)) {
      if (idx.length === k || Number.isNaN(v)) continue
    }
    let pos = idx.length === k ? k - 1 : idx.length
    while (pos > 0 && v > val[pos - 1]) {
      if (pos < k) {
        val[pos] = val[pos - 1]
        idx[pos] = idx[pos - 1]
      }
      pos--
    }
    val[pos] = v
    idx[pos] = i
    if (idx.length === k) threshold = val[k - 1]
  }
  return idx.slice(0, k)
}

/** How many ids of a `vocabSize` model are real tokens (ids ≥ 50257 are padding rows). */
export function textVocabSize(vocabSize: number): number {
  return Math.min(vocabSize, GPT2_TEXT_VOCAB)
}

/** log Σ exp over the first `n` entries of a row (padding ids excluded by passing n = text vocab). */
export function logSumExp(row: ArrayLike<number>, offset: number, n: number): number {
  let mx = -Infinity
  for (let i = 0; i < n; i++) if (row[offset + i] > mx) mx = row[offset + i]
  let s = 0
  for (let i = 0; i < n; i++) s += Math.exp(row[offset + i] - mx)
  return mx + Math.log(s)
}
