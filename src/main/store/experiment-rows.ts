import { WorkbenchError } from '../../shared/errors'
import type { SenseEditDocument } from '../../shared/edits/sense-edits'
import type { Experiment, ExperimentSummary } from '../../shared/store/experiment-types'

/** The columns every experiment query selects (alias `e`), with tags and run count folded in. */
export const EXPERIMENT_COLUMNS = `e.id, e.uid, e.name, e.notes, e.folder, e.parent_id, e.checkpoint_hash, e.edit_count,
  e.created_at, e.updated_at, e.deleted_at,
  (SELECT json_group_array(t.tag) FROM experiment_tags t WHERE t.experiment_id = e.id) AS tags_json,
  (SELECT count(*) FROM runs r WHERE r.experiment_id = e.id) AS run_count`

export interface ExperimentRow {
  id: number
  uid: string
  name: string
  notes: string
  folder: string
  parent_id: number | null
  checkpoint_hash: string | null
  edit_count: number
  created_at: number
  updated_at: number
  deleted_at: number | null
  tags_json: string
  run_count: number
  edits_json?: string
}

export function toSummary(row: ExperimentRow): ExperimentSummary {
  return {
    id: row.id,
    uid: row.uid,
    name: row.name,
    notes: row.notes,
    tags: (JSON.parse(row.tags_json ?? '[]') as string[]).sort(),
    folder: row.folder,
    parentId: row.parent_id,
    checkpointHash: row.checkpoint_hash,
    editCount: row.edit_count,
    runCount: row.run_count,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    deletedAt: row.deleted_at,
  }
}

export function toExperiment(row: ExperimentRow): Experiment {
  return { ...toSummary(row), edits: parseStoredJson<SenseEditDocument>(row.edits_json ?? 'null', `experiment ${row.id} edits`) }
}

/** JSON the store wrote itself; failure means the file was damaged or edited by hand. */
export function parseStoredJson<T>(text: string, what: string): T {
  try {
    return JSON.parse(text) as T
  } catch (e) {
    throw new WorkbenchError('store-corrupt', `${what} in the experiment database is not valid JSON: ${(e as Error).message}`, { cause: e })
  }
}
