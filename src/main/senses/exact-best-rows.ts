import { insertBestFirst, topKIndices } from '../math/top-k'
import type { Int8SenseIndex } from './int8-index'
import type { SenseTable } from './sense-table'

/**
 * The same rows, in the same order, as `table.bestRows(vec, count, largest, tokens)` (a full scan
 * of the table), from the int8 index: every row gets an approximate score a_r with a bound b_r on
 * its error; the `count` best rows by a_r are scored exactly, their worst exact score θ is a lower
 * bound of the true count-th best, so only rows with a_r + b_r ≥ θ can be in the answer. Those are
 * scored exactly from the table and ranked in the full scan's order (ties included).
 */
export async function exactBestRows(
  table: SenseTable,
  index: Int8SenseIndex,
  vec: Float32Array,
  count: number,
  largest: boolean,
  tokens = table.vocabSize,
): Promise<{ rows: number[]; scanned: number }> {
  const limit = Math.min(tokens, table.vocabSize) * table.numSenses
  const sign = largest ? 1 : -1
  const { approx, bound } = await index.scores(vec) // (rows)
  const signed = approx.subarray(0, limit)
  if (!largest) for (let r = 0; r < limit; r++) signed[r] = -signed[r]
  const seeds = topKIndices(signed, 0, limit, count, true)
  let theta = Infinity
  for (const r of seeds) theta = Math.min(theta, sign * table.rowDot(r, vec))
  const candidates: number[] = []
  for (let r = 0; r < limit; r++) if (signed[r] + bound[r] >= theta) candidates.push(r)
  const rank = table.scanRank()
  candidates.sort((a, b) => rank[a] - rank[b])
  const rows: number[] = []
  const vals: number[] = []
  for (const r of candidates) {
    const v = sign * table.rowDot(r, vec)
    if (rows.length === count && !(v > vals[count - 1])) continue
    insertBestFirst(rows, vals, count, r, v)
  }
  return { rows: rows.slice(0, count), scanned: seeds.length + candidates.length }
}
