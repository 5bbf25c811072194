import { createHash, randomUUID } from 'node:crypto'
import { WorkbenchError } from '../../shared/errors'
import type { SenseEditDocument } from '../../shared/edits/sense-edits'
import type { BlobDtype, NewRun, RunBlob, RunRecord, RunSpec, RunSummary } from '../../shared/store/experiment-types'
import { blobToBuffer, bufferToBlob, checkBlob } from '../npy/blob-codec'
import { canonicalJson } from './canonical-json'
import type { Queryable } from './database'
import { parseStoredJson } from './experiment-rows'
import { upsertCheckpointTx } from './experiment-writes'

/** Writing and reading runs and their blobs. */

interface RunRow {
  id: number
  uid: string
  experiment_id: number
  kind: string
  inputs_json: string
  settings_json: string
  prompt_key: string
  outputs_json: string
  metrics_json: string
  timings_json: string
  edits_json: string
  app_version: string
  runtime_version: string | null
  execution_provider: string | null
  checkpoint_hash: string | null
  created_at: number
}

/** What makes two runs comparable: kind, the prompt (text or ids, suite, lookup, corpus), any other inputs and the settings. */
export function promptKey(spec: RunSpec): string {
  const rest = otherInputs(spec.inputs)
  return canonicalJson({ kind: spec.kind, prompt: promptText(spec.inputs), settings: spec.settings, ...(rest ? { inputs: rest } : {}) })
}

/** The fields `promptText` names (a prompt's ids come from its text, so they do not tell runs apart). */
const PROMPT_FIELDS = new Set(['text', 'ids', 'suite', 'lookup', 'word', 'token', 'documents'])

/** Inputs besides those `promptText` names (e.g. an attribution's position and target when kept in inputs), or null. */
export function otherInputs(inputs: Record<string, unknown>): Record<string, unknown> | null {
  if (
    typeof inputs.text !== 'string' &&
    !Array.isArray(inputs.ids) &&
    typeof inputs.suite !== 'string' &&
    typeof inputs.lookup !== 'string' &&
    !Array.isArray(inputs.documents)
  )
    return null
  const rest = Object.fromEntries(Object.entries(inputs).filter(([k]) => !PROMPT_FIELDS.has(k)))
  return Object.keys(rest).length > 0 ? rest : null
}

export function promptText(inputs: Record<string, unknown>): string {
  if (typeof inputs.text === 'string') return inputs.text
  if (Array.isArray(inputs.ids)) return `ids:${inputs.ids.join(',')}`
  if (typeof inputs.suite === 'string') return `suite:${inputs.suite}`
  if (typeof inputs.lookup === 'string') return `${inputs.lookup}:${canonicalJson(inputs.word ?? inputs.token ?? null)}`
  if (Array.isArray(inputs.documents)) return documentsText(inputs.documents)
  return canonicalJson(inputs)
}

/** A corpus as its document names and a hash of its texts (two corpora with the same names but other texts differ). */
function documentsText(docs: unknown[]): string {
  const names = docs.map((d) =>
    d && typeof d === 'object' && typeof (d as { name?: unknown }).name === 'string' ? (d as { name: string }).name : '?',
  )
  const hash = createHash('sha256').update(canonicalJson(docs)).digest('hex').slice(0, 12)
  const shown = names.length > 5 ? `${names.slice(0, 5).join(', ')}, … (${names.length} documents)` : names.join(', ')
  return `documents:${shown} #${hash}`
}

export function checkNewRun(run: NewRun): void {
  const obj = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v)
  if (typeof run.kind !== 'string' || !/^[a-z][a-z0-9-]{0,39}$/.test(run.kind)) {
    throw new WorkbenchError(
      'bad-request',
      `run kind must be a lower-case name (predict, attribute, generate, suite, senses, …), got ${JSON.stringify(run.kind)}`,
    )
  }
  for (const f of ['inputs', 'settings', 'outputs', 'metrics'] as const) {
    if (!obj(run[f])) throw new WorkbenchError('bad-request', `run ${f} must be an object`)
  }
  for (const [k, v] of Object.entries(run.metrics)) {
    if (typeof v !== 'number') throw new WorkbenchError('bad-request', `run metric "${k}" must be a number, got ${JSON.stringify(v)}`)
  }
  if (typeof run.appVersion !== 'string' || run.appVersion === '')
    throw new WorkbenchError('bad-request', 'run appVersion must be a non-empty string')
  for (const [name, blob] of Object.entries(run.blobs ?? {})) checkBlob(name, blob)
}

export async function insertRunTx(
  tx: Queryable,
  experimentId: number,
  run: NewRun,
  edits: SenseEditDocument,
  createdAt = Date.now(),
  uid?: string,
): Promise<number> {
  checkNewRun(run)
  if (run.checkpoint) await upsertCheckpointTx(tx, run.checkpoint, null, null, createdAt)
  const { lastID } = await tx.run(
    `INSERT INTO runs (uid, experiment_id, kind, inputs_json, settings_json, prompt_key, outputs_json, metrics_json, timings_json,
       edits_id, app_version, runtime_version, execution_provider, checkpoint_hash, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [
      uid ?? randomUUID(),
      experimentId,
      run.kind,
      JSON.stringify(run.inputs),
      JSON.stringify(run.settings),
      promptKey(run),
      JSON.stringify(run.outputs),
      JSON.stringify(run.metrics),
      JSON.stringify(run.timingsMs ?? {}),
      await editDocumentIdTx(tx, JSON.stringify(run.edits ?? edits)),
      run.appVersion,
      run.runtimeVersion ?? null,
      run.executionProvider ?? null,
      run.checkpoint ?? null,
      createdAt,
    ],
  )
  for (const [name, blob] of Object.entries(run.blobs ?? {})) {
    await tx.run('INSERT INTO run_blobs (run_id, name, dtype, shape_json, data) VALUES (?, ?, ?, ?, ?)', [
      lastID,
      name,
      blob.dtype,
      JSON.stringify(blob.shape),
      blobToBuffer(blob.data),
    ])
  }
  return lastID
}

/** The id of an edit document's text in edit_documents (one row per distinct text). */
async function editDocumentIdTx(tx: Queryable, json: string): Promise<number> {
  const hash = createHash('sha256').update(json).digest('hex')
  const found = await tx.get<{ id: number }>('SELECT id FROM edit_documents WHERE hash = ?', [hash])
  if (found) return found.id
  return (await tx.run('INSERT INTO edit_documents (hash, json) VALUES (?, ?)', [hash, json])).lastID
}

/** Removes edit documents no run refers to any more (after a purge). */
export async function dropUnusedEditDocumentsTx(tx: Queryable): Promise<void> {
  await tx.run('DELETE FROM edit_documents WHERE NOT EXISTS (SELECT 1 FROM runs r WHERE r.edits_id = edit_documents.id)')
}

function toSummary(row: RunRow, withOutputs: boolean): RunSummary {
  const what = `run ${row.id}`
  return {
    id: row.id,
    uid: row.uid,
    experimentId: row.experiment_id,
    kind: row.kind,
    inputs: parseStoredJson(row.inputs_json, `${what} inputs`),
    settings: parseStoredJson(row.settings_json, `${what} settings`),
    metrics: parseStoredJson(row.metrics_json, `${what} metrics`),
    timingsMs: parseStoredJson(row.timings_json, `${what} timings`),
    appVersion: row.app_version,
    runtimeVersion: row.runtime_version,
    executionProvider: row.execution_provider,
    checkpoint: row.checkpoint_hash,
    createdAt: row.created_at,
    ...(withOutputs ? { outputs: parseStoredJson<Record<string, unknown>>(row.outputs_json, `${what} outputs`) } : {}),
  }
}

/** Run summaries (with small outputs, no blobs) of some experiments, oldest first. */
export async function runSummariesTx(tx: Queryable, experimentIds: number[], withOutputs = true): Promise<RunSummary[]> {
  if (experimentIds.length === 0) return []
  const out: RunSummary[] = []
  for (let i = 0; i < experimentIds.length; i += 500) {
    const chunk = experimentIds.slice(i, i + 500)
    const rows = await tx.all<RunRow>(
      `SELECT * FROM runs WHERE experiment_id IN (${chunk.map(() => '?').join(',')}) ORDER BY created_at, id`,
      chunk,
    )
    out.push(...rows.map((r) => toSummary(r, withOutputs)))
  }
  return out
}

/** One run with everything needed to show or reproduce it, blobs decoded. */
export async function getRunTx(tx: Queryable, id: number): Promise<RunRecord | undefined> {
  const row = await tx.get<RunRow>(
    'SELECT r.*, d.json AS edits_json FROM runs r JOIN edit_documents d ON d.id = r.edits_id WHERE r.id = ?',
    [id],
  )
  if (!row) return undefined
  const blobRows = await tx.all<{ name: string; dtype: BlobDtype; shape_json: string; data: Buffer }>(
    'SELECT name, dtype, shape_json, data FROM run_blobs WHERE run_id = ? ORDER BY name',
    [id],
  )
  const blobs: Record<string, RunBlob> = {}
  for (const b of blobRows) {
    blobs[b.name] = {
      dtype: b.dtype,
      shape: parseStoredJson(b.shape_json, `run ${id} blob ${b.name} shape`),
      data: bufferToBlob(b.dtype, b.data, `run ${id} blob ${b.name}`),
    }
  }
  const summary = toSummary(row, true)
  return {
    ...summary,
    outputs: summary.outputs ?? {},
    edits: parseStoredJson<SenseEditDocument>(row.edits_json, `run ${id} edits`),
    blobs,
  }
}
