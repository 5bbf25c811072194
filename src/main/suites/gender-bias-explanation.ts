import type { GenderBiasView } from '../../shared/ipc/api-types'
import type { TiedTokens } from '../senses/tied-tokens'

/** A fitted weight this close to 1 is the unmodified sense. */
const W_UNCHANGED = 1e-3
/** A mean bias this close to 1 leaves little to reduce. */
const NEARLY_UNBIASED = 1.05
/** A reduction below this (5 %) is no reduction worth the name. */
const NO_REDUCTION = 0.05

type BiasFigures = Pick<GenderBiasView, 'sense' | 'settings'> & { perProfession: { profession: string; token: number; w?: number }[] }

/**
 * Why the gender-bias suite shows a null or misleading effect on this model, one sentence per
 * reason (empty when none applies): professions whose embedding rows are tied or never trained,
 * a sense whose removal does not reduce the bias (it is not this model's he/she sense), an
 * Optimize-Sense fit that stayed at w = 1 everywhere (its dots then sit on the unmodified ones),
 * and a model nearly unbiased to begin with.
 */
export function explainGenderBias(r: BiasFigures, tied: TiedTokens | null): string[] {
  const out: string[] = []
  const s = r.sense
  const n = r.perProfession.length
  if (tied) {
    const hollow = r.perProfession.filter((p) => tied.groupOf(p.token) !== null || tied.isNeverSeen(p.token))
    if (hollow.length > 0) {
      const names =
        hollow
          .slice(0, 4)
          .map((p) => JSON.stringify(' ' + p.profession))
          .join(', ') + (hollow.length > 4 ? ` and ${hollow.length - 4} more` : '')
      out.push(
        `${hollow.length} of ${n} professions (${names}) have an embedding row tied with other tokens or never trained: their senses hold nothing learned about them, so scaling sense ${s} changes little for them`,
      )
    }
  }
  const { unmodified, removeSense, optimizeSense } = r.settings
  if (unmodified.meanBias < NEARLY_UNBIASED) {
    out.push(
      `the unmodified model is nearly unbiased already (mean bias ${unmodified.meanBias.toFixed(3)}, 1 = unbiased): a reduction divides by ${(unmodified.meanBias - 1).toFixed(3)}, so its percentage is noise`,
    )
  } else if (removeSense.reduction < NO_REDUCTION) {
    out.push(
      `removing sense ${s} does not reduce the bias (reduction ${(removeSense.reduction * 100).toFixed(1)}%): on this model sense ${s} does not carry the he/she direction (sense 10 is the gender sense of the paper's backpack-gpt2, not of every checkpoint); the Senses view's reverse lookup of " she" lists the senses that boost it`,
    )
  }
  const fitted = r.perProfession.filter((p) => p.w !== undefined)
  if (optimizeSense && fitted.length > 0 && fitted.every((p) => Math.abs((p.w as number) - 1) < W_UNCHANGED)) {
    out.push(
      `Optimize-Sense kept w = 1 for all ${fitted.length} professions: scaling sense ${s} lowers the train-prompt bias by less than the fit's |1 − w| penalty, so the unmodified sense is the best fit and its dots sit on the unmodified ones`,
    )
  }
  return out
}
