import type { SenseEditDocument } from '../../shared/edits/sense-edits'
import type { EditEffectRow, EditEffects, SenseEffect } from '../../shared/store/comparison-types'
import type { Experiment } from '../../shared/store/experiment-types'
import { statusOf, tokenLabel } from './edit-rows'

/** One edited (token, sense) of an edit document and what the change does to its projection. */
export interface EditedSenseEffect {
  token: number
  sense: number
  effect: SenseEffect
}

/**
 * What a comparison needs from the model to say what edits do (injected, as ExperimentRunner,
 * so the store stays model-free): per edit document, every sense it changes and Δ = E·(C̃ − C).
 */
export interface EditEffectCalculator {
  readonly checkpointHash: string
  effects(doc: SenseEditDocument): Promise<EditedSenseEffect[]>
}

/** Relative tolerance under which two experiments' effects on a sense count as the same. */
const RTOL = 1e-5

/**
 * The edit-effects table of a comparison: one row per edited (token, sense), one cell per
 * experiment. Computed only with a calculator on the experiments' own checkpoint; otherwise the
 * note says why not and which checkpoint to load.
 */
export async function editEffects(experiments: Experiment[], calc: EditEffectCalculator | undefined): Promise<EditEffects> {
  const edited = experiments.filter((e) => e.edits.edits.some((x) => x.kind !== 'topic' && x.kind !== 'scale-contextualization'))
  if (edited.length === 0) return { needed: false, computed: false, note: 'no experiment edits a sense vector', rows: [] }
  const needed = [...new Set(edited.map((e) => e.checkpointHash).filter((h): h is string => h !== null))]
  if (!calc) {
    const which = needed.length ? ` (checkpoint ${needed.map((h) => h.slice(0, 12) + '…').join(', ')})` : ''
    return {
      needed: true,
      computed: false,
      note: `load the experiments' model${which} to see what each edit does to its senses' projections`,
      rows: [],
    }
  }
  const other = edited.filter((e) => e.checkpointHash !== null && e.checkpointHash !== calc.checkpointHash)
  const rows = new Map<string, EditEffectRow>()
  const failed: string[] = []
  for (const [col, exp] of experiments.entries()) {
    if (!edited.includes(exp) || other.includes(exp)) continue
    let effects: EditedSenseEffect[]
    try {
      effects = await calc.effects(exp.edits)
    } catch (e) {
      // one experiment's edits that do not apply to this model leave its column empty, not the comparison
      failed.push(`"${exp.name}": ${(e as Error).message}`)
      continue
    }
    for (const fx of effects) {
      const key = `${tokenLabel(fx.token)} sense ${fx.sense}`
      let row = rows.get(key)
      if (!row) {
        row = { key, token: fx.token, sense: fx.sense, cells: experiments.map(() => null), status: 'same' }
        rows.set(key, row)
      }
      row.cells[col] = fx.effect
    }
  }
  for (const row of rows.values()) {
    const present = row.cells.filter((c): c is SenseEffect => c !== null)
    const differs = present.some((c) => !sameEffect(c, present[0]))
    row.status = statusOf(present.length, row.cells.length, differs)
  }
  const skipped = other.length
    ? `; not for ${other.map((e) => `"${e.name}"`).join(', ')} (made on checkpoint ${other[0].checkpointHash!.slice(0, 12)}…)`
    : ''
  const errors = failed.length ? `; could not apply the edits of ${failed.join('; ')}` : ''
  return {
    needed: true,
    computed: true,
    note: `Δ = E·(C̃ − C) on the loaded checkpoint ${calc.checkpointHash.slice(0, 12)}…${skipped}${errors}`,
    rows: [...rows.values()].sort((a, b) => a.token - b.token || a.sense - b.sense),
  }
}

function sameEffect(a: SenseEffect, b: SenseEffect): boolean {
  const close = (x: number, y: number) => Math.abs(x - y) <= RTOL * Math.max(Math.abs(x), Math.abs(y), 1e-12)
  return (
    close(a.norm, b.norm) &&
    a.promoted.map((t) => t.id).join() === b.promoted.map((t) => t.id).join() &&
    a.suppressed.map((t) => t.id).join() === b.suppressed.map((t) => t.id).join()
  )
}
