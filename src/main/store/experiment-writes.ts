import { randomUUID } from 'node:crypto'
import { WorkbenchError } from '../../shared/errors'
import type { CheckpointRecord, ExperimentSummary } from '../../shared/store/experiment-types'
import type { Queryable } from './database'
import { validateEdits, type EditLimits, type ValidatedEdits } from './edit-document'

/** Row-level writes shared by save, fork, update and import; all run inside a caller's transaction. */

/** The stored columns of an experiment row (the summary's own fields; a new uid is drawn when none is given). */
export type ExperimentFields = Pick<
  ExperimentSummary,
  'name' | 'notes' | 'tags' | 'folder' | 'parentId' | 'checkpointHash' | 'createdAt' | 'updatedAt'
> & { uid?: string }

/** Inserts a checkpoint row if missing; fills source/config when they were unknown. Returns whether it existed. */
export async function upsertCheckpointTx(
  tx: Queryable,
  hash: string,
  source: string | null,
  config: Record<string, unknown> | null,
  now = Date.now(),
): Promise<boolean> {
  const existing = await tx.get<{ hash: string }>('SELECT hash FROM checkpoints WHERE hash = ?', [hash])
  if (!existing) {
    await tx.run('INSERT INTO checkpoints (hash, source, config_json, first_seen) VALUES (?, ?, ?, ?)', [
      hash,
      source,
      config ? JSON.stringify(config) : null,
      now,
    ])
    return false
  }
  await tx.run('UPDATE checkpoints SET source = coalesce(source, ?), config_json = coalesce(config_json, ?) WHERE hash = ?', [
    source,
    config ? JSON.stringify(config) : null,
    hash,
  ])
  return true
}

export async function getCheckpointTx(tx: Queryable, hash: string): Promise<CheckpointRecord | undefined> {
  const row = await tx.get<{ hash: string; source: string | null; config_json: string | null; first_seen: number }>(
    'SELECT * FROM checkpoints WHERE hash = ?',
    [hash],
  )
  if (!row) return undefined
  return {
    hash: row.hash,
    source: row.source,
    config: row.config_json ? (JSON.parse(row.config_json) as Record<string, unknown>) : null,
    firstSeen: row.first_seen,
  }
}

/** Model sizes for exact edit validation, when the checkpoint's config is known here. */
export async function editLimitsTx(tx: Queryable, hash: string | null): Promise<EditLimits | undefined> {
  if (!hash) return undefined
  const cp = await getCheckpointTx(tx, hash)
  const c = cp?.config as { vocabSize?: unknown; numSenses?: unknown; nEmbd?: unknown } | null | undefined
  if (c && typeof c.vocabSize === 'number' && typeof c.numSenses === 'number' && typeof c.nEmbd === 'number') {
    return { vocabSize: c.vocabSize, numSenses: c.numSenses, dModel: c.nEmbd }
  }
  return undefined
}

/**
 * Validates an edit document against the checkpoint's sizes as `tx` sees them. Writers call it
 * once before their transaction too: the first call in a process loads the GPT-2 tokenizer
 * (~1 s), which must not happen while the write lock is held and every other process waits.
 */
export async function validateEditsTx(tx: Queryable, edits: unknown, checkpointHash: string | null): Promise<ValidatedEdits> {
  return validateEdits(edits, await editLimitsTx(tx, checkpointHash))
}

export async function insertExperimentTx(tx: Queryable, f: ExperimentFields, edits: ValidatedEdits): Promise<number> {
  if (f.parentId !== null) {
    const parent = await tx.get('SELECT id FROM experiments WHERE id = ?', [f.parentId])
    if (!parent) throw new WorkbenchError('not-found', `parent experiment ${f.parentId} does not exist`)
  }
  if (f.checkpointHash) await upsertCheckpointTx(tx, f.checkpointHash, null, null, f.createdAt)
  const { lastID } = await tx.run(
    `INSERT INTO experiments (uid, name, notes, folder, parent_id, checkpoint_hash, edits_json, edit_count, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [
      f.uid ?? randomUUID(),
      f.name,
      f.notes,
      f.folder,
      f.parentId,
      f.checkpointHash,
      JSON.stringify(edits.document),
      edits.document.edits.length,
      f.createdAt,
      f.updatedAt,
    ],
  )
  await replaceTagsTx(tx, lastID, f.tags)
  await replaceTokensTx(tx, lastID, edits)
  return lastID
}

export async function replaceTagsTx(tx: Queryable, id: number, tags: string[]): Promise<void> {
  await tx.run('DELETE FROM experiment_tags WHERE experiment_id = ?', [id])
  for (const tag of tags) await tx.run('INSERT INTO experiment_tags (experiment_id, tag) VALUES (?, ?)', [id, tag])
}

export async function replaceTokensTx(tx: Queryable, id: number, edits: ValidatedEdits): Promise<void> {
  await tx.run('DELETE FROM experiment_tokens WHERE experiment_id = ?', [id])
  for (const t of edits.tokens)
    await tx.run('INSERT INTO experiment_tokens (experiment_id, token_id, word) VALUES (?, ?, ?)', [id, t.tokenId, t.word])
}
