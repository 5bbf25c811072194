import { WorkbenchError } from '../../shared/errors'
import type { ResolvedSenseEdit } from '../../shared/edits/parse-sense-edits'

type AlphaEdit = Extract<ResolvedSenseEdit, { kind: 'scale-contextualization' }>

/**
 * α edits for one prompt, in document order, on a copy of α (sense, pos, pos):
 * α[ℓ, i, p] ← factor·α[ℓ, i, p] for every query i ≥ p (p = the edit's source position).
 * With `renormalize`, each changed row (ℓ, i) is then divided by its new sum over j ≤ i so it is
 * again a distribution; a row whose whole mass was on p and is scaled to 0 stays all zeros.
 * Without it (the default, as the gender-bias code's `contextualization[0, 10, :, j] *= w`), the
 * row no longer sums to 1, which is what makes the edit equal to scaling C(x_p)_ℓ in this prompt.
 */
export function editContextualization(alpha: Float32Array, n: number, edits: readonly AlphaEdit[]): Float32Array {
  return editAlphaRows(
    alpha,
    Array.from({ length: n }, (_, i) => i),
    n,
    edits,
  )
}

/**
 * The same edits on selected rows only — (sense, n_query, pos) for query positions `queries` over
 * `n` key positions — e.g. the new rows an incremental decoder returns. Returns a copy.
 */
export function editAlphaRows(rows: Float32Array, queries: readonly number[], n: number, edits: readonly AlphaEdit[]): Float32Array {
  const out = rows.slice() // (sense, n_query, pos)
  const nq = queries.length
  for (const edit of edits) {
    const p = edit.position
    if (p >= n) {
      throw new WorkbenchError(
        'edit-invalid',
        `edit ${edit.index} (scale-contextualization): position ${p} is outside this prompt of ${n} tokens [0, ${n})`,
      )
    }
    for (const l of edit.senses) {
      for (let q = 0; q < nq; q++) {
        const i = queries[q]
        if (i < p) continue
        const row = (l * nq + q) * n
        out[row + p] *= edit.factor
        if (!edit.renormalize) continue
        let sum = 0
        for (let j = 0; j <= i; j++) sum += out[row + j]
        if (sum > 0) for (let j = 0; j <= i; j++) out[row + j] /= sum
      }
    }
  }
  return out
}
