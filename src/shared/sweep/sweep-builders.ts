import type { SenseEditDocument } from '../edits/sense-edits'
import { SWEEP_FORMAT, SWEEP_VERSION, type SweepKind } from './sweep-document'

/**
 * Sweep documents the Sweeps view builds: one job from the current edits, or a grid over one
 * word's senses × factors. Plain JSON; the API validates it like a sweep file.
 */
export interface SweepBasics {
  name: string
  /** predict and generate take the prompt; the request is `{ text, ...extra }` */
  kind: Extract<SweepKind, 'predict' | 'generate'>
  text: string
  extra?: Record<string, unknown>
  /** omitted: the loaded model */
  checkpoint?: string
}

export function sweepFromEdits(b: SweepBasics, edits: SenseEditDocument): Record<string, unknown> {
  return { ...head(b), edits: [{ ...edits, name: edits.name ?? b.name }] }
}

export function sweepFromGrid(
  b: SweepBasics,
  grid: { token: string | number; senses: 'all' | number[]; factors: number[] },
): Record<string, unknown> {
  return { ...head(b), grid: { kind: 'scale-sense', ...grid } }
}

/** "0, 2, 5" → [0, 2, 5]; "all" (or empty) → "all"; null when a part is not a number. */
export function parseNumberList(text: string, allowAll = false): number[] | 'all' | null {
  const t = text.trim()
  if (allowAll && (t === '' || t.toLowerCase() === 'all')) return 'all'
  const parts = t.split(/[\s,]+/).filter(Boolean)
  if (parts.length === 0) return null
  const nums = parts.map(Number)
  return nums.every(Number.isFinite) ? nums : null
}

function head(b: SweepBasics) {
  return {
    format: SWEEP_FORMAT,
    version: SWEEP_VERSION,
    name: b.name,
    ...(b.checkpoint ? { checkpoint: b.checkpoint } : {}),
    kind: b.kind,
    request: { text: b.text, ...b.extra },
  }
}
