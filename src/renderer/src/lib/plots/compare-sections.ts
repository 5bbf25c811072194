import type { DetailSection, GenerationCell } from '../../../../shared/store/comparison-types'

/** How many of a detail table's rows get a chart (the table below has them all). */
export const CHARTED_ROWS = 8

/**
 * The rows of a detail table worth a chart: numeric, present in at least two experiments and
 * different between them (equal rows would be flat bars), as the metric charts take them.
 */
export function chartableRows(section: DetailSection): { metric: string; prompt: string; values: (number | null)[] }[] {
  return section.rows
    .filter(
      (r) =>
        r.status !== 'same' &&
        r.values.filter((v) => typeof v === 'number').length >= 2 &&
        r.values.every((v) => v === null || typeof v === 'number'),
    )
    .slice(0, CHARTED_ROWS)
    .map((r) => ({ metric: r.field, prompt: r.item, values: r.values as (number | null)[] }))
}

/** A generation split around its first token that differs from the first experiment's (null: none differs). */
export function generationParts(cell: GenerationCell): { before: string; marked: string | null; after: string } {
  const i = cell.firstDifference
  if (i === null) return { before: cell.text, marked: null, after: '' }
  return {
    before: cell.tokens.slice(0, i).join(''),
    marked: i < cell.tokens.length ? cell.tokens[i] : '',
    after: cell.tokens.slice(i + 1).join(''),
  }
}
