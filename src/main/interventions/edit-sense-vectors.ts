import type { VectorEdit } from '../../shared/edits/parse-sense-edits'

/** What vector edits read besides the edited token's own senses. */
export interface VectorEditInputs {
  /** row E[id] of the tied embedding, (d_model) */
  embedding(id: number): Float32Array
  /** the unedited sense C(token)_sense, (d_model) */
  sourceSense(token: number, sense: number): Float32Array
}

/**
 * Applies the vector edits that target one token to a copy of its senses, in document order:
 * (sense, d_model) → (sense, d_model). Edits for other tokens are ignored.
 *
 * - scale-sense: C_ℓ ← factor·C_ℓ.
 * - knowledge-edit (backpack-spec.md §4.5, the authors' code): with e_r = E[remove], e_a = E[add],
 *   C_ℓ ← C_ℓ − (C_ℓ·e_r/‖e_r‖²)·e_r + (C_ℓ·e_r/‖e_r‖²)·(‖e_r‖²/‖e_a‖²)·e_a.
 * - replace-sense: C_ℓ ← source; add-sense: C_ℓ ← C_ℓ + factor·source. A (token, sense) source
 *   is always that token's unedited sense, so sources do not depend on edit order.
 */
export function editSenseVectors(
  token: number,
  senses: Float32Array,
  dModel: number,
  edits: readonly VectorEdit[],
  inputs: VectorEditInputs,
): Float32Array {
  const out = senses.slice() // (sense, d_model)
  for (const edit of edits) {
    if (edit.token !== token) continue
    switch (edit.kind) {
      case 'scale-sense':
        for (const l of edit.senses) for (let c = 0; c < dModel; c++) out[l * dModel + c] *= edit.factor
        break
      case 'knowledge-edit': {
        const er = inputs.embedding(edit.remove)
        const ea = inputs.embedding(edit.add)
        const rr = dot(er, 0, er, 0, dModel)
        const aa = dot(ea, 0, ea, 0, dModel)
        const normalization = rr / aa
        for (const l of edit.senses) {
          const dots = dot(out, l * dModel, er, 0, dModel) / rr
          for (let c = 0; c < dModel; c++) out[l * dModel + c] += -dots * er[c] + dots * normalization * ea[c]
        }
        break
      }
      case 'replace-sense':
      case 'add-sense': {
        const src = 'values' in edit.from ? edit.from.values : inputs.sourceSense(edit.from.token, edit.from.sense)
        const f = edit.kind === 'add-sense' ? edit.factor : 0
        const base = edit.sense * dModel
        for (let c = 0; c < dModel; c++) out[base + c] = edit.kind === 'add-sense' ? out[base + c] + f * src[c] : src[c]
        break
      }
    }
  }
  return out
}

export function dot(a: Float32Array, aOff: number, b: Float32Array, bOff: number, n: number): number {
  let s = 0
  for (let i = 0; i < n; i++) s += a[aOff + i] * b[bOff + i]
  return s
}
