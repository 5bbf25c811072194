import { WorkbenchError } from '../../shared/errors'
import type {
  CheckpointRecord,
  Experiment,
  ExperimentPage,
  ExperimentQuery,
  NewExperiment,
  NewRun,
  RunRecord,
  RunSummary,
} from '../../shared/store/experiment-types'
import type { SenseEditDocument } from '../../shared/edits/sense-edits'
import type { Database } from './database'
import { checkFolder, checkHash, checkId, checkName, checkNotes, checkTags } from './experiment-fields'
import { EXPERIMENT_COLUMNS, toExperiment, type ExperimentRow } from './experiment-rows'
import {
  getCheckpointTx,
  insertExperimentTx,
  replaceTagsTx,
  replaceTokensTx,
  upsertCheckpointTx,
  validateEditsTx,
} from './experiment-writes'
import { listExperiments } from './list-experiments'
import { openDatabase, type OpenDatabaseOptions } from './open-database'
import { dropUnusedEditDocumentsTx, getRunTx, insertRunTx, runSummariesTx } from './run-rows'

/** How long a deleted experiment stays restorable before `purgeDeleted` removes it for good. */
export const TRASH_RETENTION_MS = 30 * 24 * 3600 * 1000

export interface ExperimentPatch {
  name?: string
  notes?: string
  tags?: string[]
  folder?: string
  edits?: SenseEditDocument
}

/**
 * The experiment log: experiments (sense-edit documents with name, notes, tags, folder, fork
 * parent) and the runs recorded against them. Every multi-row write is one transaction.
 */
export class ExperimentStore {
  readonly database: Database

  private constructor(database: Database) {
    this.database = database
  }

  /** Opens (and migrates) the database at `path`; see `openDatabase` for the refusals. */
  static async open(path: string, options: OpenDatabaseOptions = {}): Promise<ExperimentStore> {
    const store = new ExperimentStore(await openDatabase(path, options))
    try {
      if (!store.database.readonly) await store.purgeDeleted(TRASH_RETENTION_MS)
    } catch (e) {
      await store.close().catch(() => undefined) // a damaged log: close it, so its -wal/-shm go too
      throw e
    }
    return store
  }

  get path(): string {
    return this.database.path
  }

  close(): Promise<void> {
    return this.database.close()
  }

  /** Remembers a checkpoint (its source and config let later edit documents be checked exactly). */
  async recordCheckpoint(hash: string, source: string | null, config: Record<string, unknown> | null): Promise<CheckpointRecord> {
    const h = checkHash(hash)!
    return this.database.transaction(async (tx) => {
      await upsertCheckpointTx(tx, h, source, config)
      return (await getCheckpointTx(tx, h))!
    }, 'recording a checkpoint')
  }

  checkpoint(hash: string): Promise<CheckpointRecord | undefined> {
    return getCheckpointTx(this.database, checkHash(hash)!)
  }

  /** Saves a new experiment; resolves only after the transaction committed. */
  async save(input: NewExperiment): Promise<Experiment> {
    const name = checkName(input.name)
    const notes = checkNotes(input.notes)
    const tags = checkTags(input.tags)
    const folder = checkFolder(input.folder)
    const parentId = input.parentId === undefined || input.parentId === null ? null : checkId(input.parentId, 'parent experiment')
    const edits0 = input.edits as { checkpoint?: unknown } | undefined
    const checkpointHash = checkHash(input.checkpointHash ?? (typeof edits0?.checkpoint === 'string' ? edits0.checkpoint : null))
    await validateEditsTx(this.database, input.edits, checkpointHash) // before the write lock: see validateEditsTx
    const id = await this.database.transaction(async (tx) => {
      const edits = await validateEditsTx(tx, input.edits, checkpointHash)
      const now = Date.now()
      return insertExperimentTx(tx, { name, notes, tags, folder, parentId, checkpointHash, createdAt: now, updatedAt: now }, edits)
    }, 'saving an experiment')
    return this.get(id)
  }

  /** The experiment (also while in the trash); `not-found` otherwise. */
  async get(id: number): Promise<Experiment> {
    const eid = checkId(id)
    const row = await this.database.get<ExperimentRow>(`SELECT ${EXPERIMENT_COLUMNS}, e.edits_json FROM experiments e WHERE e.id = ?`, [
      eid,
    ])
    if (!row) throw new WorkbenchError('not-found', `experiment ${eid} does not exist in ${this.path}`)
    return toExperiment(row)
  }

  async findByUid(uid: string): Promise<Experiment | undefined> {
    const row = await this.database.get<ExperimentRow>(`SELECT ${EXPERIMENT_COLUMNS}, e.edits_json FROM experiments e WHERE e.uid = ?`, [
      uid,
    ])
    return row ? toExperiment(row) : undefined
  }

  /** Changes name, notes, tags, folder and/or the edit document. */
  async update(id: number, patch: ExperimentPatch): Promise<Experiment> {
    const eid = checkId(id)
    if (patch.edits !== undefined) {
      const before = await this.database.get<{ checkpoint_hash: string | null }>('SELECT checkpoint_hash FROM experiments WHERE id = ?', [
        eid,
      ])
      await validateEditsTx(this.database, patch.edits, before?.checkpoint_hash ?? null) // before the write lock
    }
    await this.database.transaction(async (tx) => {
      const cur = await tx.get<{ checkpoint_hash: string | null }>('SELECT checkpoint_hash FROM experiments WHERE id = ?', [eid])
      if (!cur) throw new WorkbenchError('not-found', `experiment ${eid} does not exist in ${this.path}`)
      const sets: string[] = []
      const params: (string | number | null)[] = []
      const set = (column: string, value: string) => {
        sets.push(`${column} = ?`)
        params.push(value)
      }
      if (patch.name !== undefined) set('name', checkName(patch.name))
      if (patch.notes !== undefined) set('notes', checkNotes(patch.notes))
      if (patch.folder !== undefined) set('folder', checkFolder(patch.folder))
      if (patch.edits !== undefined) {
        const edits = await validateEditsTx(tx, patch.edits, cur.checkpoint_hash)
        sets.push('edits_json = ?', 'edit_count = ?')
        params.push(JSON.stringify(edits.document), edits.document.edits.length)
        await replaceTokensTx(tx, eid, edits)
      }
      if (patch.tags !== undefined) await replaceTagsTx(tx, eid, checkTags(patch.tags))
      sets.push('updated_at = ?')
      params.push(Date.now())
      await tx.run(`UPDATE experiments SET ${sets.join(', ')} WHERE id = ?`, [...params, eid])
    }, 'updating an experiment')
    return this.get(eid)
  }

  /** A new experiment with the same edits, tags and checkpoint, linked to its parent. Runs stay with the parent. */
  async fork(id: number, options: { name?: string } = {}): Promise<Experiment> {
    const parent = await this.get(id)
    const name = checkName(options.name ?? `${parent.name} (fork)`.slice(0, 500))
    await validateEditsTx(this.database, parent.edits, parent.checkpointHash) // before the write lock
    const newId = await this.database.transaction(async (tx) => {
      const edits = await validateEditsTx(tx, parent.edits, parent.checkpointHash)
      const now = Date.now()
      return insertExperimentTx(
        tx,
        {
          name,
          notes: '',
          tags: parent.tags,
          folder: parent.folder,
          parentId: parent.id,
          checkpointHash: parent.checkpointHash,
          createdAt: now,
          updatedAt: now,
        },
        edits,
      )
    }, 'forking an experiment')
    return this.get(newId)
  }

  /** Moves an experiment (and so its runs) to the trash: hidden from lists, restorable until purged. */
  async delete(id: number): Promise<{ id: number; deletedAt: number; restorableUntil: number }> {
    const eid = checkId(id)
    const now = Date.now()
    const { changes } = await this.database.run('UPDATE experiments SET deleted_at = ? WHERE id = ? AND deleted_at IS NULL', [now, eid])
    if (changes === 0) {
      await this.get(eid) // not-found when missing
      throw new WorkbenchError('bad-request', `experiment ${eid} is already in the trash; restore it or purge it`)
    }
    return { id: eid, deletedAt: now, restorableUntil: now + TRASH_RETENTION_MS }
  }

  async restore(id: number): Promise<Experiment> {
    const eid = checkId(id)
    const { changes } = await this.database.run('UPDATE experiments SET deleted_at = NULL WHERE id = ? AND deleted_at IS NOT NULL', [eid])
    if (changes === 0) {
      await this.get(eid)
      throw new WorkbenchError('bad-request', `experiment ${eid} is not in the trash`)
    }
    return this.get(eid)
  }

  /** Deletes for good one trashed experiment, with its runs and blobs (cascade). */
  async purge(id: number): Promise<void> {
    const eid = checkId(id)
    const { changes } = await this.database.transaction(async (tx) => {
      const done = await tx.run('DELETE FROM experiments WHERE id = ? AND deleted_at IS NOT NULL', [eid])
      await dropUnusedEditDocumentsTx(tx)
      return done
    }, 'purging an experiment')
    if (changes === 0) {
      await this.get(eid)
      throw new WorkbenchError('bad-request', `experiment ${eid} is not in the trash; delete it first`)
    }
  }

  /** Deletes for good experiments trashed more than `olderThanMs` ago. Returns how many. */
  async purgeDeleted(olderThanMs: number): Promise<number> {
    const cutoff = Date.now() - olderThanMs
    // look before taking the write lock: most opens have nothing to purge
    if (!(await this.database.get('SELECT 1 AS x FROM experiments WHERE deleted_at IS NOT NULL AND deleted_at <= ? LIMIT 1', [cutoff])))
      return 0
    const { changes } = await this.database.transaction(async (tx) => {
      const done = await tx.run('DELETE FROM experiments WHERE deleted_at IS NOT NULL AND deleted_at <= ?', [cutoff])
      await dropUnusedEditDocumentsTx(tx)
      return done
    }, 'purging the trash')
    return changes
  }

  list(query: ExperimentQuery = {}): Promise<ExperimentPage> {
    return listExperiments(this.database, query)
  }

  search(text: string, query: ExperimentQuery = {}): Promise<ExperimentPage> {
    return listExperiments(this.database, { ...query, search: text })
  }

  /** Records a run against an experiment (the experiment's edits are stored with it unless given). */
  async addRun(experimentId: number, run: NewRun): Promise<RunRecord> {
    const exp = await this.get(experimentId)
    const id = await this.database.transaction((tx) => insertRunTx(tx, exp.id, run, run.edits ?? exp.edits), 'recording a run')
    return this.getRun(id)
  }

  async getRun(id: number): Promise<RunRecord> {
    const rid = checkId(id, 'run')
    const run = await getRunTx(this.database, rid)
    if (!run) throw new WorkbenchError('not-found', `run ${rid} does not exist in ${this.path}`)
    return run
  }

  runs(experimentIds: number | number[], withOutputs = true): Promise<RunSummary[]> {
    const ids = (Array.isArray(experimentIds) ? experimentIds : [experimentIds]).map((i) => checkId(i))
    return runSummariesTx(this.database, ids, withOutputs)
  }
}
