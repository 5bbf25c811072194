import type { SenseEdit } from '../edits/sense-edits'

/**
 * A comparison of N experiments as plain data: every table is rows × experiments, in the order
 * the experiments were given. `null` cells mean "absent in that experiment".
 */

export interface ComparedExperiment {
  id: number
  uid: string
  name: string
  checkpoint: string | null
  tags: string[]
  editCount: number
}

/**
 * - `same`: present everywhere with identical values;
 * - `changed`: present everywhere, some value fields differ (see `changedFields`);
 * - `partial`: missing in at least one experiment.
 */
export type RowStatus = 'same' | 'changed' | 'partial'

export interface EditRow {
  /** identity of the edit: kind + target, e.g. `scale-sense token=" nurse" sense=10` */
  key: string
  kind: SenseEdit['kind']
  cells: (SenseEdit | null)[]
  /** human-readable value per experiment (e.g. `factor=0`), `null` when absent */
  values: (string | null)[]
  status: RowStatus
  changedFields: string[]
}

export interface PromptKey {
  kind: string
  /** the prompt text (or ids as text) the runs share */
  text: string
  /** settings that make runs comparable, canonical JSON */
  settings: string
}

export interface OutputCell {
  runId: number
  /** e.g. top-1 token and its probability, or the generated text */
  summary: string
  metrics: Record<string, number>
  /** true when this run was made during the comparison because none was stored */
  fresh: boolean
}

export interface OutputRow {
  prompt: PromptKey
  cells: (OutputCell | null)[]
  status: RowStatus
}

export interface MetricRow {
  /** prompt text (or '' for experiment-level metrics) */
  prompt: string
  metric: string
  values: (number | null)[]
  status: RowStatus
}

export interface Comparison {
  format: 'backpack-experiment-comparison'
  version: 1
  experiments: ComparedExperiment[]
  edits: EditRow[]
  outputs: OutputRow[]
  metrics: MetricRow[]
  /** rows whose status is `same` were left out */
  diffOnly: boolean
  /** prompts that were missing a run and could not be re-run (no runner or a different checkpoint) */
  missing: { experimentId: number; prompt: PromptKey; reason: string }[]
}
