import type { SenseEditDocument } from '../edits/sense-edits'

/**
 * Plain data the experiment store hands to the UI, IPC and CLI (no class instances except
 * typed arrays in run blobs). Times are milliseconds since the Unix epoch (UTC).
 */

/** What produced a run. Free text is allowed for future kinds; these are the known ones. */
export const RUN_KINDS = ['predict', 'attribute', 'generate', 'suite', 'senses', 'evaluate'] as const
export type KnownRunKind = (typeof RUN_KINDS)[number]
export type RunKind = KnownRunKind | (string & {})

export interface CheckpointRecord {
  hash: string
  /** local directory or Hub repo it was loaded from; null when only known from a bundle */
  source: string | null
  config: Record<string, unknown> | null
  firstSeen: number
}

export interface ExperimentSummary {
  id: number
  /** stable identifier that travels in bundles */
  uid: string
  name: string
  notes: string
  tags: string[]
  folder: string
  parentId: number | null
  checkpointHash: string | null
  editCount: number
  runCount: number
  createdAt: number
  updatedAt: number
  /** set while the experiment is in the trash (soft-deleted, restorable until purged) */
  deletedAt: number | null
}

export interface Experiment extends ExperimentSummary {
  edits: SenseEditDocument
}

export interface NewExperiment {
  name: string
  edits: SenseEditDocument
  notes?: string
  tags?: string[]
  folder?: string
  parentId?: number | null
  /** checkpoint content hash; defaults to edits.checkpoint */
  checkpointHash?: string | null
}

export type BlobDtype = 'float32' | 'float64' | 'int32' | 'uint8'
export type BlobArray = Float32Array | Float64Array | Int32Array | Uint8Array

/** A large numeric output (a full distribution, per-token log-probs) kept as a compact BLOB. */
export interface RunBlob {
  dtype: BlobDtype
  shape: number[]
  data: BlobArray
}

/** Everything needed to reproduce a run: kind, inputs, settings and the edits in force. */
export interface RunSpec {
  kind: RunKind
  /** e.g. { text: "…", ids: [...] } */
  inputs: Record<string, unknown>
  /** e.g. { topK: 10, seed: 1, temperature: 0.8 } */
  settings: Record<string, unknown>
}

/** What a runner (or an import) produces and the store records. */
export interface NewRun extends RunSpec {
  /** small structured outputs: top-k lists, texts */
  outputs: Record<string, unknown>
  /** scalar results compared across experiments, e.g. { top1Prob: 0.4, meanLogProb: -3.2 } */
  metrics: Record<string, number>
  blobs?: Record<string, RunBlob>
  timingsMs?: Record<string, number>
  appVersion: string
  runtimeVersion: string | null
  executionProvider: string | null
  checkpoint: string | null
  /** the edit document the run used; defaults to the experiment's edits when recorded */
  edits?: SenseEditDocument
}

export interface RunRecord extends NewRun {
  id: number
  uid: string
  experimentId: number
  edits: SenseEditDocument
  blobs: Record<string, RunBlob>
  timingsMs: Record<string, number>
  createdAt: number
}

/** A run's row without outputs and blobs, for listings and comparisons. */
export type RunSummary = Omit<RunRecord, 'blobs' | 'outputs' | 'edits'> & { outputs?: Record<string, unknown> }

export type ExperimentSort = 'created' | 'updated' | 'name'

export interface ExperimentQuery {
  /** substring of the name (case-insensitive) */
  name?: string
  /** every listed tag must be present */
  tags?: string[]
  /** an edited token: id, token text (" nurse") or word ("nurse") */
  token?: string | number
  checkpoint?: string
  folder?: string
  /** created at or after / before (ms) */
  createdFrom?: number
  createdTo?: number
  /** full-text search over names and notes */
  search?: string
  includeDeleted?: boolean
  onlyDeleted?: boolean
  sort?: ExperimentSort
  order?: 'asc' | 'desc'
  limit?: number
  offset?: number
}

export interface ExperimentPage {
  items: ExperimentSummary[]
  total: number
  limit: number
  offset: number
}
