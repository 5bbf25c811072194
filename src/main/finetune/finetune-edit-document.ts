import { SENSE_EDITS_FORMAT, SENSE_EDITS_VERSION, type SenseEditDocument } from '../../shared/edits/sense-edits'
import type { SensePair } from './sense-weights'

/**
 * The learned changes as an ordinary sense-edit document: one `add-sense` edit per selected
 * (token, sense) with the change Δ as explicit `values` (float32, as trained), stamped with the
 * checkpoint's content hash, so it runs everywhere an edit document does.
 */
export function finetuneEditDocument(
  contentHash: string,
  pairs: readonly SensePair[],
  values: Float32Array /* (pair, d_model) */,
  d: number,
  name?: string,
): SenseEditDocument {
  return {
    format: SENSE_EDITS_FORMAT,
    version: SENSE_EDITS_VERSION,
    checkpoint: contentHash,
    ...(name !== undefined ? { name } : {}),
    edits: pairs.map((p, i) => ({
      kind: 'add-sense' as const,
      token: p.token,
      sense: p.sense,
      from: { values: Array.from(values.subarray(i * d, (i + 1) * d)) },
    })),
  }
}
