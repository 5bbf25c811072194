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

/** One cell of a detail table: a number (compared with a tolerance) or a short text. */
export type DetailValue = number | string | null

/**
 * One item of a run kind's detail table, e.g. a profession of the gender-bias suite and its
 * `removeSense` bias, a document of an evaluation and its perplexity, a sense of an atlas lookup
 * and its top tokens. `deltas` (numbers only) are each value minus the first experiment's.
 */
export interface DetailRow {
  /** the item: a profession, a document, a case, `strength 2`, `sense 3`, `summary` */
  item: string
  /** the figure: `meanBias`, `perplexity`, `top tokens`, … */
  field: string
  values: DetailValue[]
  /** value − the first present value, per experiment (null where absent or not numeric) */
  deltas: (number | null)[] | null
  status: RowStatus
}

/** The detail table of one shared run (same kind, inputs and settings) across the experiments. */
export interface DetailSection {
  prompt: PromptKey
  /** e.g. `suite gender-bias`, `evaluate 3 documents`, `senses atlas " nurse"` */
  title: string
  rows: DetailRow[]
}

/** A generation under each experiment's edits, with the first token where it departs from the first experiment's. */
export interface GenerationCell {
  runId: number
  text: string
  /** the generated tokens' texts (their concatenation is `text`) */
  tokens: string[]
  /** index into `tokens` of the first token that differs from the first present generation; null when equal (or this is it) */
  firstDifference: number | null
}

export interface GenerationRow {
  prompt: PromptKey
  cells: (GenerationCell | null)[]
  status: RowStatus
}

/** A token scored by the change an edit makes to a sense's projection over the vocabulary. */
export interface EffectToken {
  id: number
  token: string
  score: number
}

/** The change of one edited sense under one experiment's edits: Δ = E·(C̃ − C)_sense over the vocabulary. */
export interface SenseEffect {
  /** ‖Δ‖₂ over the vocabulary */
  norm: number
  /** ‖C̃ − C‖₂ of the sense vector itself */
  vectorNorm: number
  /** the tokens Δ raises most (largest first) and lowers most (most negative first) */
  promoted: EffectToken[]
  suppressed: EffectToken[]
}

/** One edited (token, sense) across experiments; null where that experiment does not change it. */
export interface EditEffectRow {
  /** e.g. `" nurse"#15849 sense 10` */
  key: string
  token: number
  sense: number
  cells: (SenseEffect | null)[]
  status: RowStatus
}

export interface EditEffects {
  /** some experiment edits a sense vector (otherwise there is nothing to show) */
  needed: boolean
  /** false when no model of the experiments' checkpoint was loaded to compute them (see `note`) */
  computed: boolean
  /** what was computed on which checkpoint, or why nothing was */
  note: string
  rows: EditEffectRow[]
}

export interface Comparison {
  format: 'backpack-experiment-comparison'
  version: 1
  experiments: ComparedExperiment[]
  edits: EditRow[]
  /** what each edited sense's change does to its projection (needs the experiments' model loaded) */
  editEffects: EditEffects
  outputs: OutputRow[]
  metrics: MetricRow[]
  /** generation runs' texts side by side */
  generations: GenerationRow[]
  /** per shared run of a suite, evaluation, lookup or attribution: its summary and per-item rows */
  details: DetailSection[]
  /** rows whose status is `same` were left out */
  diffOnly: boolean
  /** prompts that were missing a run and could not be re-run (no runner or a different checkpoint) */
  missing: { experimentId: number; prompt: PromptKey; reason: string }[]
}
