import type { DetailRow, DetailSection, GenerationCell, GenerationRow, PromptKey } from '../../shared/store/comparison-types'
import type { RunSummary } from '../../shared/store/experiment-types'
import { statusOf } from './edit-rows'
import { generationOf, runDetails } from './run-details'

/** One shared run (a prompt key) across the experiments: the run of each, null where absent. */
export interface SharedRun {
  prompt: PromptKey
  runs: (RunSummary | null)[]
}

/**
 * The detail table of one shared run: its items (professions, documents, cases, senses…) as rows,
 * the experiments as columns, numbers compared within `atol` and given as deltas from the first
 * experiment that has them. Null when the kind has no detail table.
 */
export function detailSection(shared: SharedRun, atol: number): DetailSection | null {
  const rows = new Map<string, DetailRow>()
  const n = shared.runs.length
  shared.runs.forEach((run, col) => {
    if (!run) return
    for (const d of runDetails(run)) {
      const key = `${d.item}\u0000${d.field}`
      let row = rows.get(key)
      if (!row) {
        row = { item: d.item, field: d.field, values: new Array(n).fill(null), deltas: null, status: 'same' }
        rows.set(key, row)
      }
      row.values[col] = d.value
    }
  })
  if (rows.size === 0) return null
  for (const row of rows.values()) {
    const present = row.values.filter((v) => v !== null)
    const first = present[0]
    if (typeof first === 'number' && present.every((v) => typeof v === 'number')) {
      row.deltas = row.values.map((v) => (typeof v === 'number' ? v - first : null))
    }
    const differs = present.some((v) => (typeof v === 'number' && typeof first === 'number' ? !closeEnough(v, first, atol) : v !== first))
    row.status = statusOf(present.length, n, differs)
  }
  return { prompt: shared.prompt, title: titleOf(shared), rows: [...rows.values()] }
}

function closeEnough(a: number, b: number, atol: number): boolean {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b)
  return a === b || Math.abs(a - b) <= atol
}

function titleOf(shared: SharedRun): string {
  const { kind, text } = shared.prompt
  return `${kind} · ${text.length > 80 ? text.slice(0, 79) + '…' : text}`
}

/** Generation texts side by side, each marked where it first departs (token by token) from the first experiment's. */
export function generationRow(shared: SharedRun): GenerationRow | null {
  const gens = shared.runs.map((r) => (r ? generationOf(r) : null))
  if (gens.every((g) => g === null)) return null
  const ref = gens.find((g) => g !== null)!
  const cells: (GenerationCell | null)[] = gens.map((g, i) =>
    g ? { runId: shared.runs[i]!.id, text: g.text, tokens: g.tokens, firstDifference: firstDifference(ref.tokens, g.tokens) } : null,
  )
  const present = cells.filter((c): c is GenerationCell => c !== null)
  return {
    prompt: shared.prompt,
    cells,
    status: statusOf(
      present.length,
      cells.length,
      present.some((c) => c.text !== ref.text),
    ),
  }
}

/** The first index where `b` differs from `a` (a token changed, or one ran out first); null when equal. */
export function firstDifference(a: readonly string[], b: readonly string[]): number | null {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i
  return a.length === b.length ? null : n
}
