import { WorkbenchError } from '../../shared/errors'
import type { FinetuneLoss } from './canonical-examples'
import { accumulatePairGradients, shiftedSoftmax } from './shifted-logits'
import { exampleLoss } from './suffix-losses'
import type { TrainingSet } from './training-set'

/**
 * The fine-tuning objective and its exact gradient, given the projections P_i = E·Δ_i of the
 * current changes (m, vocab):
 *   objective = mean_{examples in batch} L_example + klWeight · KL
 *   KL        = (1/N) Σ_t KL(p_orig,t ‖ p_edited,t) over the N predicted background positions
 * The gradient is returned with respect to the logit shift of each pair,
 *   G_i = Σ_t w_t,i · ∂objective/∂logits_t    (m, vocab),
 * so that ∂objective/∂Δ_i = Eᵀ·G_i (finetune-gradient.ts). ∂L/∂logits_t is a_t·(p_t − onehot)
 * for the suffix losses and klWeight/N · (p_edited,t − p_orig,t) for the KL term.
 * Also reports what the progress and the degradation ball read: the summed NLL of every suffix
 * and the mean background NLL (natural log) under the changes.
 */
export interface ObjectiveValue {
  objective: number
  /** L of each example in the batch */
  exampleLosses: number[]
  /** summed NLL of each suffix of each example in the batch */
  suffixNll: number[][]
  kl: number
  backgroundNll: number
  /** ∂objective/∂(logit shift of pair i): (m, vocab); only when asked for */
  G?: Float64Array
}

export interface ObjectiveOptions {
  loss: FinetuneLoss
  /** indices into set.examples */
  batch: readonly number[]
  klWeight: number
  gradient: boolean
  signal?: AbortSignal
}

const YIELD_EVERY_MS = 25

export async function finetuneObjective(set: TrainingSet, P: Float32Array, o: ObjectiveOptions): Promise<ObjectiveValue> {
  const { vocabSize: V, textVocab: textV } = set
  const m = set.pairs.length
  const G = o.gradient ? new Float64Array(m * V) : undefined
  const s = new Float64Array(textV) // the edited logits of the current row
  const e = new Float64Array(textV) // exp(s − max s)
  const g = new Float64Array(textV)
  let last = performance.now()
  const checkpoint = async () => {
    if (o.signal?.aborted) throw new WorkbenchError('cancelled', 'fine-tuning was cancelled')
    if (performance.now() - last > YIELD_EVERY_MS) {
      await new Promise((r) => setImmediate(r)) // lets an abort (or a UI request) in
      last = performance.now()
      if (o.signal?.aborted) throw new WorkbenchError('cancelled', 'fine-tuning was cancelled')
    }
  }

  // canonical examples: one pass for the log-probs, a second (from the kept rows) for the gradient
  const exampleLosses: number[] = []
  const suffixNll: number[][] = []
  for (const index of o.batch) {
    const ex = set.examples[index]
    const kept: { seq: number; row: number; p: Float64Array }[] = []
    const logProbs = ex.sequences.map((seq, si) =>
      Array.from(seq.targets, (y, r) => {
        const { z, lse } = shiftedSoftmax(seq.baseLogits, r * V, P, V, seq.weights, r * m, m, textV, s, e)
        if (G) kept.push({ seq: si, row: r, p: e.map((x) => x / z) })
        return y < textV ? s[y] - lse : -Infinity
      }),
    )
    const loss = exampleLoss(o.loss, logProbs)
    exampleLosses.push(loss.value)
    suffixNll.push(logProbs.map((l) => -l.reduce((a, b) => a + b, 0)))
    if (G) {
      for (const k of kept) {
        const seq = ex.sequences[k.seq]
        const y = seq.targets[k.row]
        g.set(k.p)
        g[y] -= 1
        accumulatePairGradients(G, V, seq.weights, k.row * m, m, loss.coefficients[k.seq][k.row] / o.batch.length, g, textV)
      }
    }
    await checkpoint()
  }

  // background: KL(p_orig ‖ p_edited) and the NLL over the rows the changes reach
  const bg = set.background
  let klSum = 0
  let nllSum = bg.unreachedNllSum
  const c = o.klWeight / bg.positions
  for (let r = 0; r < bg.targets.length; r++) {
    const { z, lse: lse1 } = shiftedSoftmax(bg.baseLogits, r * V, P, V, bg.weights, r * m, m, textV, s, e)
    const lse0 = bg.baseLse[r]
    const y = bg.targets[r]
    nllSum += y < textV ? lse1 - s[y] : Infinity
    // KL = Σ p0 (log p0 − log p1) = lse1 − lse0 − Σ_v p0_v (s_v − base_v)
    let cross = 0
    const off = r * V
    for (let v = 0; v < textV; v++) {
      const p0 = bg.baseProbs[off + v]
      cross += p0 * (s[v] - bg.baseLogits[off + v])
      if (G) g[v] = e[v] / z - p0
    }
    klSum += Math.max(0, lse1 - lse0 - cross)
    if (G && c !== 0) accumulatePairGradients(G, V, bg.weights, r * m, m, c, g, textV)
    if ((r & 15) === 15) await checkpoint()
  }
  const kl = klSum / bg.positions
  const mean = exampleLosses.reduce((a, b) => a + b, 0) / o.batch.length
  return { objective: mean + o.klWeight * kl, exampleLosses, suffixNll, kl, backgroundNll: nllSum / bg.positions, ...(G ? { G } : {}) }
}
