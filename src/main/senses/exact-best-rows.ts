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
  return { rows: rankCandidates(table, candidates, vec, count, sign), scanned: seeds.length + candidates.length }
}

/**
 * The same rows, in the same order, as `table.bestRows` from one exact pass over every row of the
 * table (the same per-row dot products), without the norm order that bestRows walks: the count-th
 * best score θ of the pass bounds the answer from below, and the rows scoring ≥ θ are ranked in
 * bestRows' order. For a small table (d_model 128 at the demo's size: ~10⁸ multiply-adds) this
 * answers a first query in a fraction of a second, where the int8 index would first have to be
 * built; a table holding a NaN score falls back to bestRows itself. `pass`: the scores of an
 * earlier call for the same vec, direction and tokens (see `fullScanScores`), reused.
 */
export function fullScanBestRows(
  table: SenseTable,
  vec: Float32Array,
  count: number,
  largest: boolean,
  tokens = table.vocabSize,
  pass: Float64Array | null = fullScanScores(table, vec, largest, tokens),
): { rows: number[]; scanned: number } {
  if (!pass) return table.bestRows(vec, count, largest, tokens)
  const limit = pass.length
  const seeds = topKIndices(pass, 0, limit, count, true)
  let theta = Infinity
  for (const r of seeds) theta = Math.min(theta, pass[r])
  const candidates: number[] = []
  for (let r = 0; r < limit; r++) if (pass[r] >= theta) candidates.push(r)
  return { rows: rankCandidates(table, candidates, vec, count, largest ? 1 : -1), scanned: limit }
}

/** sign·(vec·C_r) for every row r < tokens·K, as bestRows computes it; null when one is NaN. */
export function fullScanScores(table: SenseTable, vec: Float32Array, largest: boolean, tokens = table.vocabSize): Float64Array | null {
  const limit = Math.min(tokens, table.vocabSize) * table.numSenses
  const sign = largest ? 1 : -1
  const signed = new Float64Array(limit)
  for (let r = 0; r < limit; r++) {
    const v = sign * table.rowDot(r, vec)
    if (Number.isNaN(v)) return null
    signed[r] = v
  }
  return signed
}

/**
 * The best `count` of `candidates` (a superset of the answer) as bestRows returns them: by exact
 * table score, ties in bestRows' scan order — decreasing norm, then increasing row (the stable
 * sort of `scanRank`), compared on the candidates alone; when some norm is not finite (where that
 * order is whatever the sort made of it), by `scanRank` itself.
 */
function rankCandidates(table: SenseTable, candidates: number[], vec: Float32Array, count: number, sign: number): number[] {
  const norms = table.norms
  if (finiteNorms(table)) candidates.sort((a, b) => norms[b] - norms[a] || a - b)
  else {
    const rank = table.scanRank()
    candidates.sort((a, b) => rank[a] - rank[b])
  }
  const rows: number[] = []
  const vals: number[] = []
  for (const r of candidates) {
    const v = sign * table.rowDot(r, vec)
    if (rows.length === count && !(v > vals[count - 1])) continue
    insertBestFirst(rows, vals, count, r, v)
  }
  return rows.slice(0, count)
}

/** Whether every norm of the table is finite (a subtraction of two of them then orders them). */
function finiteNorms(table: SenseTable): boolean {
  const norms = table.norms
  for (let r = 0; r < norms.length; r++) if (!Number.isFinite(norms[r])) return false
  return true
}
