/**
 * The portable sense-edit document (format "backpack-sense-edits", version 1): what the CLI,
 * the app and the experiment store read and write. Parsing/validation lives in
 * src/shared/edits/parse-sense-edits.ts; applying edits in src/main/interventions/.
 */
export const SENSE_EDITS_FORMAT = 'backpack-sense-edits'
export const SENSE_EDITS_VERSION = 1
/** The largest |factor| of scale-sense, add-sense and scale-contextualization (every door checks the same bound). */
export const MAX_EDIT_FACTOR = 1e6

/** A token id, or a string that must tokenize to exactly one token (e.g. " nurse"). */
export type TokenRef = number | string

export interface ScaleSenseEdit {
  kind: 'scale-sense'
  token: TokenRef
  sense?: number | number[] // omitted: all senses
  factor: number // 0 ablates
}

export interface KnowledgeEdit {
  kind: 'knowledge-edit'
  token: TokenRef
  remove: TokenRef
  add: TokenRef
  senses?: number[] // omitted: all senses
}

/** Vector source: another (token, sense), or explicit values of length d_model. */
export type VectorSource = { token: TokenRef; sense: number } | { values: number[] }

export interface ReplaceSenseEdit {
  kind: 'replace-sense'
  token: TokenRef
  sense: number
  from: VectorSource
}

export interface AddSenseEdit {
  kind: 'add-sense'
  token: TokenRef
  sense: number
  from: VectorSource
  factor?: number // default 1
}

export interface TopicEdit {
  kind: 'topic'
  /** one of the 17 built-in topics, or an explicit bag of words */
  topic?: string
  words?: string[]
  strength: 0 | 1 | 2 | 3
}

/** α edit for one prompt: multiply α[sense, ·, position]; optionally renormalise rows. */
export interface ScaleContextualizationEdit {
  kind: 'scale-contextualization'
  position: number // source position j in the prompt
  sense?: number | number[]
  factor: number
  renormalize?: boolean
}

export type SenseEdit = ScaleSenseEdit | KnowledgeEdit | ReplaceSenseEdit | AddSenseEdit | TopicEdit | ScaleContextualizationEdit

export type SenseEditKind = SenseEdit['kind']

export interface SenseEditDocument {
  format: typeof SENSE_EDITS_FORMAT
  version: typeof SENSE_EDITS_VERSION
  checkpoint?: string // content hash the edits were made for
  name?: string
  edits: SenseEdit[]
}

export function emptySenseEdits(checkpoint?: string): SenseEditDocument {
  return { format: SENSE_EDITS_FORMAT, version: SENSE_EDITS_VERSION, ...(checkpoint ? { checkpoint } : {}), edits: [] }
}
