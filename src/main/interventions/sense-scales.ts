import type { VectorEdit } from '../../shared/edits/parse-sense-edits'

/**
 * Per sense of one token, the factor by which its vector edits multiply the unedited sense vector:
 * C̃_ℓ = s_ℓ·C_ℓ, with s_ℓ the product of the scale-sense factors on ℓ in document order, or NaN
 * where any other edit (knowledge-edit, replace-sense, add-sense) touches ℓ and C̃_ℓ is no longer
 * a multiple of C_ℓ. Mirrors editSenseVectors; a re-run uses it to reuse E·C_ℓ (rerun-base.ts).
 */
export function senseScales(token: number, numSenses: number, edits: readonly VectorEdit[]): Float64Array {
  const s = new Float64Array(numSenses).fill(1)
  for (const edit of edits) {
    if (edit.token !== token) continue
    switch (edit.kind) {
      case 'scale-sense':
        for (const l of edit.senses) s[l] *= edit.factor
        break
      case 'knowledge-edit':
        for (const l of edit.senses) s[l] = NaN
        break
      case 'replace-sense':
      case 'add-sense':
        s[edit.sense] = NaN
        break
    }
  }
  return s
}
