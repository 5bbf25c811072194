import { WorkbenchError } from '../../shared/errors'
import type { TiedGroupInfo } from '../../shared/ipc/api-types'
import type { BackpackEngine } from '../runtime/backpack-engine'
import { textVocabSize } from '../math/top-k'
import { gpt2Tokenizer } from '../tokenizer/gpt2-tokenizer'
import { exactBestRows, fullScanBestRows, fullScanScores } from './exact-best-rows'
import { int8Index, type Int8Scorer } from './int8-index'
import type { SenseTable } from './sense-table'
import type { TiesOption } from './sense-atlas'
import type { TiedTokens } from './tied-tokens'
import { tokenSenses } from './token-senses'

/**
 * The most table values (rows · d_model) an fp32 table may have to be scanned in full by default:
 * 2^27 (a 512 MB table; the demo's 50257·16·128 ≈ 1.03·10⁸), one pass of ~0.1–0.3 s.
 */
export const FULL_SCAN_VALUES = 2 ** 27

export interface ReverseEntry {
  id: number // the word (token) whose sense it is
  text: string
  sense: number
  /** E[target]·C(id)_sense: the logit this sense adds to the target per unit of α, exact (fp32) */
  score: number
  /** on a collapsed entry: the tokens whose same sense gives this same score */
  tied?: TiedGroupInfo
}

export interface ReverseLookup {
  target: { id: number; text: string }
  direction: 'boost' | 'suppress'
  entries: ReverseEntry[]
  /** (token, sense) rows whose dot product was computed exactly from the table; the rest were ruled out by bounds */
  scanned: number
  /** candidates re-scored from fp32 sense vectors (the others could not reach the top by their table score) */
  rescored?: number
  timingsMs: Record<string, number>
}

/**
 * Which (word, sense) pairs most boost (or suppress) a token: the largest (smallest) entries of
 * E[target]·C(x)_ℓ over every real token x and sense ℓ. The table ranks the pairs — the same rows
 * in the same order whichever `scan`: 'table' walks rows by decreasing norm, stopping when
 * ‖E[target]‖·‖C(x)_ℓ‖ cannot reach the candidates found; 'full' scores every row of an fp32
 * table in one pass (`fullScanBestRows`); 'int8' scores the int8 index with error bounds and
 * re-scores the rows the bounds leave in (`exactBestRows`). By default a small fp32 table (at
 * most FULL_SCAN_VALUES values: the demo's) is scanned in full, where building the index would
 * cost many scans; a larger or fp16 one through the index. The best `top·4` candidates are
 * re-scored exactly from fp32 sense vectors before the final ranking. The int8 scan runs in
 * `options.scorer`, by default the engine's worker.
 */
export async function reverseLookup(
  engine: BackpackEngine & Partial<Int8Scorer>,
  table: SenseTable,
  target: number,
  options: {
    top?: number
    direction?: 'boost' | 'suppress'
    scan?: 'int8' | 'table' | 'full'
    scorer?: Int8Scorer
    ties?: TiesOption
  } = {},
): Promise<ReverseLookup> {
  const { vocabSize: V, numSenses: k, nEmbd: d } = engine.config
  if (!Number.isInteger(target) || target < 0 || target >= V)
    throw new WorkbenchError('bad-request', `target token ${target} is outside the vocabulary [0, ${V})`)
  const top = options.top ?? 20
  if (!Number.isInteger(top) || top < 1 || top > 1000)
    throw new WorkbenchError('bad-request', `top must be an integer in [1, 1000], got ${top}`)
  const direction = options.direction ?? 'boost'
  const largest = direction === 'boost'
  const t0 = performance.now()
  const e = await engine.embeddingRows([target]) // (1, d_model)
  const textV = textVocabSize(V)
  const want = Math.min(textV * k, top * 4)
  // exact every way: the norm-ordered scan, one pass over an fp32 table, or the int8 index + bounds (one onnxruntime MatMulInteger)
  let indexMs: number | undefined // getting the int8 index (built on a table's first lookup, else kept or read back)
  const timedIndex = async () => {
    const i0 = performance.now()
    const index = await int8Index(table, scorerOf(engine, options.scorer))
    indexMs = (indexMs ?? 0) + performance.now() - i0
    return index
  }
  const scan = options.scan ?? (table.precision === 'f32' && textV * k * d <= FULL_SCAN_VALUES ? 'full' : 'int8')
  let pass: Float64Array | null | undefined // the full scan's scores, computed once however often the ties make it rescan
  const best = async (count: number) =>
    scan === 'table'
      ? table.bestRows(e, count, largest, textV)
      : scan === 'full'
        ? fullScanBestRows(table, e, count, largest, textV, (pass ??= fullScanScores(table, e, largest, textV)))
        : await exactBestRows(table, await timedIndex(), e, count, largest, textV) // rows x·K + ℓ
  const tied = options.ties?.mode === 'collapse' ? options.ties.tied : null
  const { rows: candidates, scanned } = tied ? await representativeRows(best, tied, k, want, textV * k) : await best(want)
  const t1 = performance.now()
  const needed = mayReachTop(table, e, candidates, top, largest)
  const tokens = [...new Set(needed.map((r) => Math.floor(r / k)))]
  const exact = new Map((await tokenSenses(engine, tokens)).map((v, i) => [tokens[i], v]))
  const tok = gpt2Tokenizer()
  const entries = needed.map((r) => {
    const id = Math.floor(r / k)
    const sense = r % k
    const c = exact.get(id) as Float32Array
    let s = 0
    for (let x = 0; x < d; x++) s += e[x] * c[sense * d + x]
    const info = tied?.info(id)
    return { id, text: tok.tokenText(id), sense, score: s, ...(info ? { tied: info } : {}) }
  })
  entries.sort((a, b) => (largest ? b.score - a.score : a.score - b.score))
  return {
    target: { id: target, text: tok.tokenText(target) },
    direction,
    entries: entries.slice(0, top),
    scanned,
    rescored: needed.length,
    timingsMs: { ...(indexMs === undefined ? {} : { index: indexMs }), scan: t1 - t0, total: performance.now() - t0 },
  }
}

/**
 * The best `want` rows whose token is the first of its tied group (or untied), in table order:
 * the scan asks for `want` rows plus, for each (group, sense) among them, the group's other
 * members (they score the same, so they rank next to it), until enough remain after dropping
 * those members — a few rescans at most, then the whole vocabulary.
 */
async function representativeRows(
  best: (count: number) => Promise<{ rows: number[]; scanned: number }>,
  tied: TiedTokens,
  k: number,
  want: number,
  all: number,
): Promise<{ rows: number[]; scanned: number }> {
  let count = want
  for (let attempt = 0; ; attempt++) {
    const found = await best(count)
    const kept = found.rows.filter((r) => tied.isRepresentative(Math.floor(r / k)))
    if (kept.length >= want || found.rows.length < count || count >= all) return { rows: kept.slice(0, want), scanned: found.scanned }
    const seen = new Set<number>()
    let extra = 0
    for (const r of found.rows) {
      const g = tied.groupOf(Math.floor(r / k))
      const key = g ? g[0] * k + (r % k) : -1
      if (g && !seen.has(key)) {
        seen.add(key)
        extra += g.length - 1
      }
    }
    count = attempt >= 4 ? all : Math.min(all, count + Math.max(extra, want - kept.length))
  }
}

/**
 * The candidates (in their order) whose exact score can still be among the best `top`: the table
 * score x̂_r differs from the exact fp32 one by at most δ_r = ‖Ĉ_r − C_r‖·‖e‖, with
 * ‖Ĉ_r − C_r‖ ≤ 2⁻¹¹·‖C_r‖ + 2⁻²⁵·√d for fp16 (relative rounding of normal halves, absolute for
 * subnormals), plus a margin for batch-dependent GEMM rounding. A candidate whose upper bound is below the top-th largest lower bound cannot make the
 * cut, so it needs no sense-network re-scoring; the final ranking is the same as re-scoring all.
 */
function mayReachTop(table: SenseTable, e: Float32Array, rows: number[], top: number, largest: boolean): number[] {
  if (rows.length <= top) return rows
  let ne = 0
  for (let c = 0; c < e.length; c++) ne += e[c] * e[c]
  ne = Math.sqrt(ne)
  const sign = largest ? 1 : -1
  // + 1e-4: the table's vectors came from larger sense-network batches than the re-scoring's, and
  // onnxruntime's GEMM results vary with the batch at the 1e-7 level (1e-4 leaves a wide margin)
  const rel = (table.precision === 'f16' ? 2 ** -11 : 0) + 1e-4
  const abs = table.precision === 'f16' ? 2 ** -25 * Math.sqrt(table.dModel) : 0
  const lo: number[] = []
  const hi: number[] = []
  for (const r of rows) {
    const x = sign * table.rowDot(r, e)
    const delta = (rel * table.norms[r] + abs) * ne * (1 + 1e-6) + 1e-12
    if (!Number.isFinite(x) || !Number.isFinite(delta)) return rows // overflowed half: re-score all
    lo.push(x - delta)
    hi.push(x + delta)
  }
  const cut = [...lo].sort((a, b) => b - a)[top - 1]
  return rows.filter((_, i) => hi[i] >= cut)
}

function scorerOf(engine: Partial<Int8Scorer>, scorer?: Int8Scorer): Int8Scorer {
  if (scorer) return scorer
  const { openInt8Scores, int8Scores, closeInt8Scores } = engine
  if (!openInt8Scores || !int8Scores || !closeInt8Scores)
    throw new WorkbenchError('internal', 'the int8 scan needs an engine worker to score in (pass options.scorer, or use scan: "table")')
  return engine as Int8Scorer
}
