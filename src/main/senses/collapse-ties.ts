import { topKIndices } from '../math/top-k'
import type { RankedScores } from '../math/rank-scores'
import type { TiedTokens } from './tied-tokens'

/**
 * A sense's top and bottom lists with each tied group collapsed to its first id: a list that
 * holds a group's other members is re-ranked from the scores with those members left out, so
 * it still has `top` entries and every other token keeps its score and order. Lists without
 * such members are returned as they are (the summary never changes: it covers every token).
 * `scores[offset + x]` is token x's score.
 */
export function collapseRanked(
  r: RankedScores,
  scores: Float32Array,
  offset: number,
  length: number,
  top: number,
  tied: TiedTokens,
): RankedScores {
  const needsTop = r.top.some((id) => !tied.isRepresentative(id))
  const needsBottom = r.bottom.some((id) => !tied.isRepresentative(id))
  if (!needsTop && !needsBottom) return r
  const row = maskHidden(scores.slice(offset, offset + length), tied)
  return {
    top: needsTop ? topKIndices(row, 0, length, top, true) : r.top,
    bottom: needsBottom ? topKIndices(row, 0, length, top, false) : r.bottom,
    summary: r.summary,
  }
}

/** Sets the score of every token a collapsed list leaves out to NaN (ranking skips NaN); returns `row`. */
export function maskHidden(row: Float32Array, tied: TiedTokens): Float32Array {
  for (const id of tied.hidden) if (id < row.length) row[id] = Number.NaN
  return row
}
