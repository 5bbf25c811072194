/**
 * The loss types and default settings of sense fine-tuning (docs/finetune.md): shared by the
 * request schema, the CLI, the engine side and the Teach view.
 */
export const FINETUNE_LOSSES = ['nll', 'unlikely', 'balance', 'good-v-bad'] as const
export type FinetuneLoss = (typeof FINETUNE_LOSSES)[number]

/** The pair losses read `suffix1`/`suffix2`; the others read `suffix`. */
export function isPairLoss(loss: FinetuneLoss): boolean {
  return loss === 'balance' || loss === 'good-v-bad'
}

export const FINETUNE_DEFAULTS = {
  sensesPerExample: 4,
  lambda: 1000,
  lr: 0.5,
  klWeight: 1,
  epochs: 10,
  seed: 0,
} as const
