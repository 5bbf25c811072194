import { describe, expect, it } from 'vitest'
import { comparisonTables, latexEscape, renderComparison } from '../../../src/main/store/render-comparison'
import type { Comparison } from '../../../src/shared/store/comparison-types'

const comparison: Comparison = {
  format: 'backpack-experiment-comparison',
  version: 1,
  experiments: [
    { id: 1, uid: 'u1', name: 'A & B_1', checkpoint: null, tags: [], editCount: 1 },
    { id: 2, uid: 'u2', name: 'A & B_1', checkpoint: null, tags: [], editCount: 0 },
  ],
  edits: [
    {
      key: 'scale-sense token=" nurse"#15849 sense=10',
      kind: 'scale-sense',
      cells: [{ kind: 'scale-sense', token: ' nurse', sense: 10, factor: 0 }, null],
      values: ['factor=0', null],
      status: 'partial',
      changedFields: [],
    },
  ],
  outputs: [
    {
      prompt: { kind: 'predict', text: 'costs 5$ | 50% off, "really"\nnext', settings: '{}' },
      cells: [{ runId: 1, summary: '" the" 0.5000', metrics: { p: 0.5 }, fresh: false }, null],
      status: 'partial',
    },
  ],
  metrics: [{ prompt: 'costs 5$ | 50% off, "really"\nnext', metric: 'p', values: [0.123456789, null], status: 'partial' }],
  editEffects: { needed: false, computed: false, note: 'no experiment edits a sense vector', rows: [] },
  generations: [],
  details: [],
  diffOnly: false,
  missing: [],
}

/** A small RFC 4180 reader, to check the CSV round-trips. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = []
  let row: string[] = []
  let field = ''
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"'
        i++
      } else if (ch === '"') quoted = false
      else field += ch
    } else if (ch === '"') quoted = true
    else if (ch === ',') {
      row.push(field)
      field = ''
    } else if (ch === '\r' && text[i + 1] === '\n') {
      row.push(field)
      rows.push(row)
      row = []
      field = ''
      i++
    } else field += ch
  }
  return rows
}

describe('renderComparison', () => {
  it('makes duplicate experiment names unique in headers and marks absent cells', () => {
    const [edits] = comparisonTables(comparison)
    expect(edits.columns).toEqual(['edit', 'status', 'A & B_1', 'A & B_1 [2]'])
    expect(edits.rows[0]).toEqual(['scale-sense token=" nurse"#15849 sense=10', 'partial', 'factor=0', '—'])
  })

  it('CSV quotes commas, quotes and newlines so that it parses back to the same table', () => {
    const rows = parseCsv(renderComparison(comparison, 'csv'))
    expect(rows[0]).toEqual(['section', 'item', 'detail', 'A & B_1', 'A & B_1 [2]'])
    expect(rows[2]).toEqual(['outputs', 'costs 5$ | 50% off, "really"\nnext', 'predict', '" the" 0.5000', '—'])
    expect(rows[3]).toEqual(['metrics', 'costs 5$ | 50% off, "really"\nnext', 'p', '0.123457', '—'])
  })

  it('Markdown escapes pipes and line breaks', () => {
    const md = renderComparison(comparison, 'md')
    expect(md).toContain('| costs 5$ \\| 50% off, "really"<br>next | predict | " the" 0.5000 | — |')
    for (const line of md.split('\n').filter((l) => l.startsWith('|'))) expect(line.split(/(?<!\\)\|/).length).toBe(6)
  })

  it('LaTeX escapes every special character', () => {
    expect(latexEscape('a\\b{c}$d&e#f^g_h%i~j')).toBe(
      'a\\textbackslash{}b\\{c\\}\\$d\\&e\\#f\\textasciicircum{}g\\_h\\%i\\textasciitilde{}j',
    )
    const tex = renderComparison(comparison, 'latex')
    expect(tex).toContain('\\textbf{A \\& B\\_1} & \\textbf{A \\& B\\_1 [2]}')
    expect(tex).toContain('costs 5\\$ | 50\\% off, "really" next & p & 0.123457 & — \\\\')
    // no unescaped specials in table bodies
    for (const line of tex.split('\n').filter((l) => l.endsWith('\\\\'))) expect(line.slice(0, -2)).not.toMatch(/(?<!\\)[$%#_]/)
    expect(tex.match(/\\begin\{tabular\}/g)).toHaveLength(3)
  })

  it('LaTeX says "(no differences)" in a table whose rows were all equal, instead of an empty tabular', () => {
    const tex = renderComparison({ ...comparison, edits: [], outputs: [], diffOnly: true }, 'latex')
    expect(tex.match(/\\multicolumn\{4\}\{l\}\{\(no differences\)\} \\\\/g)).toHaveLength(2) // Edits, Outputs
    expect(tex).toContain('0.123457') // Metrics keeps its row
  })

  it('JSON is the comparison data itself; unknown formats are refused', () => {
    expect(JSON.parse(renderComparison(comparison, 'json'))).toEqual(comparison)
    expect(() => renderComparison(comparison, 'xml' as never)).toThrow(expect.objectContaining({ code: 'bad-request' }))
  })
})
