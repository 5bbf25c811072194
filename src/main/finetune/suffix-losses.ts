import type { FinetuneLoss } from './canonical-examples'

/**
 * The canonical-example losses (docs/finetune.md states each choice). For an example with suffix
 * log-probabilities l_t = log p(y_t | y_<t) (natural log) and S = Σ_t l_t:
 *   nll         L = −S                                 (make the suffix likely)
 *   unlikely    L = −Σ_t log(1 − p_t)                  (make each suffix token unlikely; bounded below by 0)
 *   balance     L = (S₁ − S₂)²                         (make the two suffixes equally likely)
 *   good-v-bad  L = softplus(S₂ − S₁) = log(1 + e^(S₂−S₁))  (prefer suffix1 over suffix2)
 * Every loss's gradient with respect to the logits z_t of a suffix row has the form
 * ∂L/∂z_t = a_t · (p_t − onehot(y_t)), so the loss returns a_t for each row.
 */
export interface ExampleLoss {
  value: number
  /** a_t per sequence (suffix) and row: ∂L/∂z_t = a_t · (p_t − onehot(y_t)) */
  coefficients: number[][]
}

/** `logProbs[s][t]`: log p of suffix s's token t (one sequence, or two for the pair losses). */
export function exampleLoss(loss: FinetuneLoss, logProbs: readonly (readonly number[])[]): ExampleLoss {
  const sum = (l: readonly number[]) => l.reduce((s, x) => s + x, 0)
  switch (loss) {
    case 'nll':
      return { value: -sum(logProbs[0]), coefficients: [logProbs[0].map(() => 1)] }
    case 'unlikely': {
      // −log(1 − p) and its coefficient −p / (1 − p), with 1 − p = −expm1(l) accurate near p = 1
      const l = logProbs[0]
      const value = l.reduce((s, x) => s - log1mExp(x), 0)
      return { value, coefficients: [l.map((x) => -Math.exp(x) / -Math.expm1(x))] }
    }
    case 'balance': {
      const diff = sum(logProbs[0]) - sum(logProbs[1])
      // dL/dS₁ = 2·diff, dL/dS₂ = −2·diff; a = −dL/dS
      return { value: diff * diff, coefficients: [logProbs[0].map(() => -2 * diff), logProbs[1].map(() => 2 * diff)] }
    }
    case 'good-v-bad': {
      const x = sum(logProbs[1]) - sum(logProbs[0])
      const s = sigmoid(x) // dL/dS₂ = σ(x), dL/dS₁ = −σ(x)
      return { value: softplus(x), coefficients: [logProbs[0].map(() => s), logProbs[1].map(() => -s)] }
    }
  }
}

/** log(1 − e^x) for x ≤ 0, accurate at both ends (Mächler 2012). */
export function log1mExp(x: number): number {
  return x > -Math.LN2 ? Math.log(-Math.expm1(x)) : Math.log1p(-Math.exp(x))
}

function softplus(x: number): number {
  return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x))
}

function sigmoid(x: number): number {
  return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x))
}
