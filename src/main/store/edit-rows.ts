import type { SenseEdit, TokenRef, VectorSource } from '../../shared/edits/sense-edits'
import type { EditRow, RowStatus } from '../../shared/store/comparison-types'
import { gpt2Tokenizer } from '../tokenizer/gpt2-tokenizer'
import { canonicalJson } from './canonical-json'

/**
 * Side-by-side edit lists with a diff. An edit's identity is its kind and target (token and
 * senses, or position); its values (factor, remove/add, vector source, strength) are what can
 * change between experiments. Token refs are shown as `" nurse"#15849` whether given by id or text.
 */
export function editRows(docs: SenseEdit[][]): EditRow[] {
  const rows = new Map<string, EditRow>()
  docs.forEach((edits, col) => {
    const seen = new Map<string, number>()
    for (const edit of edits) {
      const base = identity(edit)
      const n = (seen.get(base) ?? 0) + 1
      seen.set(base, n)
      const key = n === 1 ? base : `${base} #${n}`
      let row = rows.get(key)
      if (!row) {
        row = { key, kind: edit.kind, cells: docs.map(() => null), values: docs.map(() => null), status: 'same', changedFields: [] }
        rows.set(key, row)
      }
      row.cells[col] = edit
      row.values[col] = describeValues(valueFields(edit))
    }
  })
  for (const row of rows.values()) {
    const present = row.cells.filter((c): c is SenseEdit => c !== null)
    const fieldSets = present.map((c) => valueFields(c))
    const names = new Set(fieldSets.flatMap((f) => Object.keys(f)))
    row.changedFields = [...names].filter((name) => new Set(fieldSets.map((f) => canonicalJson(f[name] ?? null))).size > 1)
    row.status = statusOf(present.length, row.cells.length, row.changedFields.length > 0)
  }
  return [...rows.values()]
}

export function statusOf(present: number, total: number, differs: boolean): RowStatus {
  if (present < total) return 'partial'
  return differs ? 'changed' : 'same'
}

export function tokenLabel(ref: TokenRef): string {
  const tok = gpt2Tokenizer()
  if (typeof ref === 'number')
    return ref < 50257 && ref >= 0 && Number.isInteger(ref) ? `${JSON.stringify(tok.tokenText(ref))}#${ref}` : `#${ref}`
  const ids = tok.encode(ref)
  return ids.length === 1 ? `${JSON.stringify(ref)}#${ids[0]}` : JSON.stringify(ref)
}

function senseLabel(s: number | number[] | undefined): string {
  if (s === undefined) return 'all'
  return Array.isArray(s) ? [...s].sort((a, b) => a - b).join(',') : String(s)
}

function identity(e: SenseEdit): string {
  switch (e.kind) {
    case 'scale-sense':
      return `scale-sense token=${tokenLabel(e.token)} sense=${senseLabel(e.sense)}`
    case 'knowledge-edit':
      return `knowledge-edit token=${tokenLabel(e.token)} senses=${senseLabel(e.senses)}`
    case 'replace-sense':
    case 'add-sense':
      return `${e.kind} token=${tokenLabel(e.token)} sense=${e.sense}`
    case 'topic':
      return 'topic'
    case 'scale-contextualization':
      return `scale-contextualization position=${e.position} sense=${senseLabel(e.sense)}`
  }
}

function sourceLabel(s: VectorSource): string {
  return 'values' in s ? `values[${s.values.length}]` : `${tokenLabel(s.token)}/${s.sense}`
}

function valueFields(e: SenseEdit): Record<string, unknown> {
  switch (e.kind) {
    case 'scale-sense':
      return { factor: e.factor }
    case 'knowledge-edit':
      return { remove: tokenLabel(e.remove), add: tokenLabel(e.add) }
    case 'replace-sense':
      return { from: 'values' in e.from ? e.from.values : sourceLabel(e.from) }
    case 'add-sense':
      return { from: 'values' in e.from ? e.from.values : sourceLabel(e.from), factor: e.factor ?? 1 }
    case 'topic':
      return { topic: e.topic ?? null, words: e.words ?? null, strength: e.strength }
    case 'scale-contextualization':
      return { factor: e.factor, renormalize: e.renormalize ?? false }
  }
}

function describeValues(f: Record<string, unknown>): string {
  return Object.entries(f)
    .filter(([, v]) => v !== null)
    .map(([k, v]) => `${k}=${Array.isArray(v) && v.length > 6 ? `[${v.length} values]` : typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ')
}
