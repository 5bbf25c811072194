import { dot } from './edit-sense-vectors'

/**
 * The "blast radius" of global sense-vector edits on the log-odds of two tokens a, b.
 *
 * Derivation (backpack-spec.md §3.6). At any position i of any context,
 *   logit_v = Σ_ℓ Σ_{j≤i} α^ℓ_ij · E_v·C(x_j)_ℓ, and the log-odds log p_a − log p_b equals
 *   logit_a − logit_b (the softmax normaliser cancels). A vector edit
 *   C(x) → C̃(x) changes it by Δ_i = Σ_ℓ Σ_{j≤i} α^ℓ_ij · g_ℓ(x_j), g_ℓ(x) = (E_a − E_b)·(C̃(x)_ℓ − C(x)_ℓ),
 *   and g_ℓ(x) = 0 for unedited tokens. α is unchanged by vector edits, and for each ℓ the row
 *   α^ℓ_i· is a probability distribution over j ≤ i, so Σ_j α^ℓ_ij g_ℓ(x_j) lies in
 *   [min_j g_ℓ(x_j), max_j g_ℓ(x_j)] ⊆ [min(0, min_x g_ℓ(x)), max(0, max_x g_ℓ(x))] — 0 is included
 *   because contexts may hold unedited tokens, and α may put (almost) all its mass on one position.
 *   Summing over senses, which are normalised independently:
 *     L = Σ_ℓ min(0, min_x g_ℓ(x)) ≤ Δ_i ≤ U = Σ_ℓ max(0, max_x g_ℓ(x)).
 *   This is the tightest bound that uses only "α ≥ 0, rows sum to 1 per sense": each sense's term
 *   reaches its extreme when α^ℓ puts all mass on the maximising token, independently per ℓ. It
 *   is never looser than Σ_ℓ max_x |g_ℓ(x)|. Topic and α edits are context-dependent and not covered.
 */
export interface BlastRadius {
  tokenA: number
  tokenB: number
  /** the largest increase of log p(a) − log p(b) over all contexts and positions */
  maxIncrease: number
  /** the largest decrease (a negative number or 0) */
  maxDecrease: number
  /** max(maxIncrease, −maxDecrease) */
  maxAbsChange: number
  /** per sense: [min(0, min_x g), max(0, max_x g)] and the tokens reaching them */
  perSense: { sense: number; low: number; high: number; lowToken: number | null; highToken: number | null }[]
  /** per edited token: Σ_ℓ g_ℓ(x), the change in a context made of x alone (attained) */
  perToken: { token: number; change: number; perSense: number[] }[]
}

/**
 * deltas: per edited token, ΔC(x) = C̃(x) − C(x), (sense, d_model). ea, eb: E[a], E[b] (d_model).
 */
export function blastRadius(tokenA: number, tokenB: number, ea: Float32Array, eb: Float32Array, deltas: Map<number, Float32Array>, numSenses: number, dModel: number): BlastRadius {
  const diff = new Float32Array(dModel)
  for (let c = 0; c < dModel; c++) diff[c] = ea[c] - eb[c]
  const perSense = Array.from({ length: numSenses }, (_, sense) => ({ sense, low: 0, high: 0, lowToken: null as number | null, highToken: null as number | null }))
  const perToken: BlastRadius['perToken'] = []
  for (const [token, delta] of deltas) {
    const g = Array.from({ length: numSenses }, (_, l) => dot(diff, 0, delta, l * dModel, dModel))
    g.forEach((v, l) => {
      const s = perSense[l]
      if (v > s.high) {
        s.high = v
        s.highToken = token
      }
      if (v < s.low) {
        s.low = v
        s.lowToken = token
      }
    })
    perToken.push({ token, change: g.reduce((x, y) => x + y, 0), perSense: g })
  }
  const maxIncrease = perSense.reduce((x, s) => x + s.high, 0)
  const maxDecrease = perSense.reduce((x, s) => x + s.low, 0)
  return { tokenA, tokenB, maxIncrease, maxDecrease, maxAbsChange: Math.max(maxIncrease, -maxDecrease), perSense, perToken }
}
