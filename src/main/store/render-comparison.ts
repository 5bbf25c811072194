import { WorkbenchError } from '../../shared/errors'
import type { Comparison } from '../../shared/store/comparison-types'
import { formatNumber } from './compare-experiments'

export const COMPARISON_FORMATS = ['json', 'csv', 'md', 'latex'] as const
export type ComparisonFormat = (typeof COMPARISON_FORMATS)[number]

/** A rendered table: two label columns, then one column per experiment (headed by its name). */
export interface ComparisonTable {
  /** 'Edits', 'Edit effects', 'Outputs', 'Metrics', 'Generations', or 'Details: <kind · prompt>' */
  title: string
  columns: string[]
  rows: string[][]
}

const ABSENT = '—'

/**
 * The comparison as three tables. Headers use experiment names (made unique with `[n]`), not
 * database ids, so a comparison of imported experiments renders the same as the original.
 */
export function comparisonTables(c: Comparison): ComparisonTable[] {
  const seen = new Map<string, number>()
  const heads = c.experiments.map((e) => {
    const n = (seen.get(e.name) ?? 0) + 1
    seen.set(e.name, n)
    return n === 1 ? e.name : `${e.name} [${n}]`
  })
  return [
    {
      title: 'Edits',
      columns: ['edit', 'status', ...heads],
      rows: c.edits.map((r) => [
        r.key,
        r.status === 'changed' ? `changed: ${r.changedFields.join(', ')}` : r.status,
        ...r.values.map((v) => v ?? ABSENT),
      ]),
    },
    {
      title: 'Outputs',
      columns: ['prompt', 'kind', ...heads],
      rows: c.outputs.map((r) => [r.prompt.text, r.prompt.kind, ...r.cells.map((cell) => cell?.summary ?? ABSENT)]),
    },
    {
      title: 'Metrics',
      columns: ['prompt', 'metric', ...heads],
      rows: c.metrics.map((r) => [r.prompt, r.metric, ...r.values.map((v) => (v === null ? ABSENT : formatNumber(v)))]),
    },
    ...(c.editEffects.needed ? [effectsTable(c, heads)] : []),
    ...(c.generations.length > 0
      ? [
          {
            title: 'Generations',
            columns: ['prompt', 'settings', ...heads],
            rows: c.generations.map((r) => [
              r.prompt.text,
              r.prompt.settings,
              ...r.cells.map((cell) => (cell ? markedText(cell) : ABSENT)),
            ]),
          },
        ]
      : []),
    ...c.details.map((d) => ({
      title: `Details: ${d.title}`,
      columns: ['item', 'figure', ...heads],
      rows: d.rows.map((r) => [
        r.item,
        r.field,
        ...r.values.map((v, i) => detailCell(v, r.deltas?.[i] ?? null, i === r.values.findIndex((x) => x !== null))),
      ]),
    })),
  ]
}

/** A generation with its first token that differs from the first experiment's in [[double brackets]]. */
export function markedText(cell: { text: string; tokens: string[]; firstDifference: number | null }): string {
  const i = cell.firstDifference
  if (i === null) return cell.text
  const head = cell.tokens.slice(0, i).join('')
  if (i >= cell.tokens.length) return `${head}[[]]`
  return `${head}[[${cell.tokens[i]}]]${cell.tokens.slice(i + 1).join('')}`
}

function detailCell(v: number | string | null, delta: number | null, reference: boolean): string {
  if (v === null) return ABSENT
  if (typeof v === 'string') return v
  if (reference || delta === null) return formatNumber(v)
  return `${formatNumber(v)} (${delta >= 0 ? '+' : ''}${formatNumber(delta)})`
}

function effectsTable(c: Comparison, heads: string[]): ComparisonTable {
  const columns = ['edited sense', 'figure', ...heads]
  const fx = c.editEffects
  if (!fx.computed) return { title: 'Edit effects', columns, rows: [['(not computed)', fx.note, ...heads.map(() => ABSENT)]] }
  const tokens = (ts: { token: string; score: number }[]) => ts.map((t) => `${JSON.stringify(t.token)} ${formatNumber(t.score)}`).join(', ')
  const rows = fx.rows.flatMap((r) => [
    [r.key, 'projection norm', ...r.cells.map((e) => (e ? formatNumber(e.norm) : ABSENT))],
    [r.key, 'vector norm', ...r.cells.map((e) => (e ? formatNumber(e.vectorNorm) : ABSENT))],
    [r.key, 'promoted', ...r.cells.map((e) => (e ? tokens(e.promoted) : ABSENT))],
    [r.key, 'suppressed', ...r.cells.map((e) => (e ? tokens(e.suppressed) : ABSENT))],
  ])
  return { title: 'Edit effects', columns, rows }
}

export function renderComparison(c: Comparison, format: ComparisonFormat): string {
  switch (format) {
    case 'json':
      return JSON.stringify(c, null, 2) + '\n'
    case 'csv':
      return renderCsv(comparisonTables(c))
    case 'md':
      return renderMarkdown(comparisonTables(c))
    case 'latex':
      return renderLatex(comparisonTables(c))
    default:
      throw new WorkbenchError(
        'bad-request',
        `unknown comparison format ${JSON.stringify(format)}; allowed: ${COMPARISON_FORMATS.join(', ')}`,
      )
  }
}

/** RFC 4180 CSV: one header, a `section` column, the two label columns, one column per experiment. */
function renderCsv(tables: ComparisonTable[]): string {
  const field = (s: string) => (/[",\r\n]/.test(s) || /^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s)
  const heads = tables[0].columns.slice(2)
  const lines = [['section', 'item', 'detail', ...heads].map(field).join(',')]
  for (const t of tables) {
    // the section: the table's title in lower case ("edits", …), a detail table's prompt as given
    const section = t.title.startsWith('Details: ') ? `details: ${t.title.slice('Details: '.length)}` : t.title.toLowerCase()
    for (const r of t.rows) lines.push([section, ...r].map(field).join(','))
  }
  return lines.join('\r\n') + '\r\n'
}

function renderMarkdown(tables: ComparisonTable[]): string {
  const cell = (s: string) => (s === '' ? ' ' : s.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, '<br>'))
  const out: string[] = []
  for (const t of tables) {
    out.push(`### ${t.title}`, '')
    out.push(`| ${t.columns.map(cell).join(' | ')} |`, `|${t.columns.map(() => ' --- ').join('|')}|`)
    if (t.rows.length === 0) out.push(`| ${t.columns.map((_, i) => (i === 0 ? '(no differences)' : ' ')).join(' | ')} |`)
    for (const r of t.rows) out.push(`| ${r.map(cell).join(' | ')} |`)
    out.push('')
  }
  return out.join('\n')
}

/** Escapes every LaTeX special character (\ { } $ & # ^ _ % ~) and line breaks. */
export function latexEscape(s: string): string {
  return s.replace(/[\\{}$&#^_%~]|\r?\n/g, (c) => {
    switch (c) {
      case '\\':
        return '\\textbackslash{}'
      case '^':
        return '\\textasciicircum{}'
      case '~':
        return '\\textasciitilde{}'
      case '\n':
      case '\r\n':
        return ' '
      default:
        return '\\' + c
    }
  })
}

function renderLatex(tables: ComparisonTable[]): string {
  const out: string[] = ['% Backpack Workbench comparison (needs \\usepackage{booktabs})']
  for (const t of tables) {
    out.push(`% ${t.title}`, `\\begin{tabular}{${'l'.repeat(t.columns.length)}}`, '\\toprule')
    out.push(t.columns.map((c) => `\\textbf{${latexEscape(c)}}`).join(' & ') + ' \\\\', '\\midrule')
    // a table whose rows were all equal (diffOnly) says so, as the Markdown does, instead of being empty
    if (t.rows.length === 0) out.push(`\\multicolumn{${t.columns.length}}{l}{(no differences)} \\\\`)
    for (const r of t.rows) out.push(r.map(latexEscape).join(' & ') + ' \\\\')
    out.push('\\bottomrule', '\\end{tabular}', '')
  }
  return out.join('\n')
}
