import { WorkbenchError } from '../../shared/errors'
import { FINETUNE_DEFAULTS as SHARED_DEFAULTS, FINETUNE_LOSSES, type FinetuneLoss } from '../../shared/finetune/finetune-settings'

/** The settings of a fine-tuning run (docs/finetune.md explains each default). */
export interface FinetuneOptions {
  loss: FinetuneLoss
  /** k: senses kept per example (the union of the per-example top k is trained) */
  sensesPerExample: number
  /** λ of the selection score: weight of the mean background α mass */
  lambda: number
  /** Adam's peak learning rate (cosine-decayed to 0 over all steps) */
  lr: number
  /** weight of KL(p_orig ‖ p_edited) on the background text */
  klWeight: number
  epochs: number
  /** examples per Adam step (default: all, one step per epoch) */
  batchSize?: number
  /** ε of the degradation ball: keep the last epoch with background NLL ≤ (1 + ε) × the original's */
  maxDegradation?: number
  /** orders the mini-batches (no other randomness: the changes start at zero) */
  seed: number
}

export const FINETUNE_DEFAULTS: Omit<FinetuneOptions, 'loss'> = { ...SHARED_DEFAULTS }

/** Checks every setting; each problem is a `bad-request` naming the setting and the allowed values. */
export function validateFinetuneOptions(o: FinetuneOptions, numSenses: number): FinetuneOptions {
  const fail = (why: string): never => {
    throw new WorkbenchError('bad-request', why)
  }
  if (!(FINETUNE_LOSSES as readonly string[]).includes(o.loss))
    fail(`loss must be one of ${FINETUNE_LOSSES.join(', ')}, got ${JSON.stringify(o.loss)}`)
  const int = (name: string, v: number | undefined, lo: number, hi: number) => {
    if (v !== undefined && (!Number.isInteger(v) || v < lo || v > hi)) fail(`${name} must be an integer in [${lo}, ${hi}], got ${v}`)
  }
  int('senses per example', o.sensesPerExample, 1, 16 * numSenses)
  int('epochs', o.epochs, 1, 10_000)
  int('batch size', o.batchSize, 1, 100_000)
  int('seed', o.seed, 0, 2 ** 32 - 1)
  if (!(Number.isFinite(o.lr) && o.lr > 0 && o.lr <= 1e3)) fail(`the learning rate must be a finite number in (0, 1000], got ${o.lr}`)
  if (!(Number.isFinite(o.lambda) && o.lambda >= 0)) fail(`lambda must be a finite number ≥ 0, got ${o.lambda}`)
  if (!(Number.isFinite(o.klWeight) && o.klWeight >= 0)) fail(`the KL weight must be a finite number ≥ 0, got ${o.klWeight}`)
  if (o.maxDegradation !== undefined && !(Number.isFinite(o.maxDegradation) && o.maxDegradation > 0)) {
    fail(`the maximum degradation ε must be a finite number > 0, got ${o.maxDegradation}`)
  }
  return o
}
