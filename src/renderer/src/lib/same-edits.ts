import type { SenseEditDocument } from '../../../shared/edits/sense-edits'

/** JSON with object keys sorted, so two equal values give one string whatever their key order. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined)
    return `{${entries
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`)
      .join(',')}}`
  }
  return JSON.stringify(value)
}

/** Whether two edit documents hold the same edits (in the same order); the checkpoint field is not compared. */
export function sameEdits(a: SenseEditDocument | undefined, b: SenseEditDocument | undefined): boolean {
  return canonical(a?.edits ?? []) === canonical(b?.edits ?? [])
}
