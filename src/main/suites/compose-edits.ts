import type { ParsedSenseEdits } from '../../shared/edits/parse-sense-edits'
import type { SenseEdit } from '../../shared/edits/sense-edits'
import { SENSE_EDITS_FORMAT, SENSE_EDITS_VERSION } from '../../shared/edits/sense-edits'
import { parseSenseEditsFor } from '../interventions/apply-sense-edits'
import type { BackpackEngine } from '../runtime/backpack-engine'

/**
 * A suite setting = the user's edit document followed by the setting's own edits (so vector
 * edits of the setting act after the user's on the same token), validated as one document.
 * With no extra edits the user's document is returned as is (null: the plain model).
 */
export function composeEdits(engine: BackpackEngine, base: ParsedSenseEdits | null, extra: readonly SenseEdit[]): ParsedSenseEdits | null {
  if (extra.length === 0) return base
  const edits = [...(base?.document.edits ?? []), ...extra]
  return parseSenseEditsFor(engine, { format: SENSE_EDITS_FORMAT, version: SENSE_EDITS_VERSION, edits }).edits
}
