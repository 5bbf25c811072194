import { randomUUID } from 'node:crypto'
import { WorkbenchError } from '../../shared/errors'
import type { SenseEditDocument } from '../../shared/edits/sense-edits'
import type { NewRun, RunBlob } from '../../shared/store/experiment-types'
import { blobToBuffer, bufferToBlob, checkBlob } from '../npy/blob-codec'
import { BUNDLE_FORMAT, BUNDLE_VERSION, parseBundle, type BundleRun, type ExperimentBundle } from './bundle-schema'
import { loadEditValidation, validateEdits } from './edit-document'
import { checkFolder, checkName, checkNotes, checkTags } from './experiment-fields'
import type { ExperimentStore } from './experiment-store'
import { editLimitsTx, getCheckpointTx, insertExperimentTx, upsertCheckpointTx } from './experiment-writes'
import { checkNewRun, getRunTx, insertRunTx } from './run-rows'

/** Writes experiments (with all their runs and blobs) into a versioned, self-contained bundle. */
export async function exportBundle(store: ExperimentStore, ids: number[], appVersion: string): Promise<ExperimentBundle> {
  if (ids.length === 0) throw new WorkbenchError('bad-request', 'export needs at least one experiment id')
  const experiments: ExperimentBundle['experiments'] = []
  const hashes = new Set<string>()
  for (const id of ids) {
    const e = await store.get(id)
    const parent = e.parentId === null ? null : await store.get(e.parentId).catch(() => null)
    const runs: BundleRun[] = []
    for (const summary of await store.runs(e.id, false)) {
      const r = await store.getRun(summary.id)
      if (r.checkpoint) hashes.add(r.checkpoint)
      const blobs: BundleRun['blobs'] = {}
      for (const [name, b] of Object.entries(r.blobs))
        blobs[name] = { dtype: b.dtype, shape: b.shape, base64: blobToBuffer(b.data).toString('base64') }
      runs.push({
        uid: r.uid,
        kind: r.kind,
        inputs: r.inputs,
        settings: r.settings,
        outputs: r.outputs,
        metrics: r.metrics,
        timingsMs: r.timingsMs,
        appVersion: r.appVersion,
        runtimeVersion: r.runtimeVersion,
        executionProvider: r.executionProvider,
        checkpoint: r.checkpoint,
        edits: r.edits,
        createdAt: r.createdAt,
        blobs,
      })
    }
    if (e.checkpointHash) hashes.add(e.checkpointHash)
    experiments.push({
      uid: e.uid,
      name: e.name,
      notes: e.notes,
      tags: e.tags,
      folder: e.folder,
      parentUid: parent?.uid ?? null,
      checkpoint: e.checkpointHash,
      createdAt: e.createdAt,
      updatedAt: e.updatedAt,
      edits: e.edits,
      runs,
    })
  }
  const checkpoints: ExperimentBundle['checkpoints'] = []
  for (const hash of [...hashes].sort()) {
    const cp = await store.checkpoint(hash)
    if (cp) checkpoints.push({ hash: cp.hash, source: cp.source, config: cp.config, firstSeen: cp.firstSeen })
  }
  return { format: BUNDLE_FORMAT, version: BUNDLE_VERSION, exportedAt: new Date().toISOString(), appVersion, checkpoints, experiments }
}

export interface ImportResult {
  experiments: { id: number; uid: string; name: string; runs: number; renamedFrom?: string }[]
  checkpoints: { hash: string; known: boolean }[]
  warnings: string[]
}

/**
 * Imports a bundle in one transaction: everything or nothing. A checkpoint this database has
 * never loaded is recorded as unknown (warning, not an error). An experiment or run whose uid is
 * already here gets a fresh uid (reported as `renamedFrom`) so nothing is overwritten.
 */
export async function importBundle(store: ExperimentStore, input: unknown): Promise<ImportResult> {
  const bundle = parseBundle(input)
  // validate everything that does not need the database before taking the write lock
  const prepared = bundle.experiments.map((e, i) => {
    const where = `experiment ${i} ("${e.name.slice(0, 60)}")`
    try {
      const runs = e.runs.map((r, j) => toNewRun(r, `${where} run ${j}`))
      return {
        e,
        runs,
        fields: { name: checkName(e.name), notes: checkNotes(e.notes), tags: checkTags(e.tags), folder: checkFolder(e.folder) },
      }
    } catch (err) {
      throw asBundleError(err, where)
    }
  })
  loadEditValidation() // not while holding the write lock
  return store.database.transaction(async (tx) => {
    const result: ImportResult = { experiments: [], checkpoints: [], warnings: [] }
    const hashes = new Set<string>([...bundle.checkpoints.map((c) => c.hash.toLowerCase())])
    for (const e of bundle.experiments) {
      if (e.checkpoint) hashes.add(e.checkpoint.toLowerCase())
      for (const r of e.runs) if (r.checkpoint) hashes.add(r.checkpoint.toLowerCase())
    }
    for (const hash of [...hashes].sort()) {
      const known = (await getCheckpointTx(tx, hash))?.source != null
      const cp = bundle.checkpoints.find((c) => c.hash.toLowerCase() === hash)
      await upsertCheckpointTx(tx, hash, null, cp?.config ?? null)
      result.checkpoints.push({ hash, known })
      if (!known)
        result.warnings.push(
          `checkpoint ${hash.slice(0, 16)}… is not known to this workbench: the experiments were imported, but their runs cannot be re-run until that checkpoint is loaded`,
        )
    }
    const idByUid = new Map<string, number>()
    for (const [i, p] of prepared.entries()) {
      const where = `experiment ${i} ("${p.e.name.slice(0, 60)}")`
      const checkpointHash = p.e.checkpoint?.toLowerCase() ?? null
      let edits
      try {
        edits = validateEdits(p.e.edits, await editLimitsTx(tx, checkpointHash))
      } catch (err) {
        throw asBundleError(err, where)
      }
      const taken = await tx.get('SELECT 1 AS x FROM experiments WHERE uid = ?', [p.e.uid])
      const uid = taken ? randomUUID() : p.e.uid
      const id = await insertExperimentTx(
        tx,
        { ...p.fields, uid, parentId: null, checkpointHash, createdAt: p.e.createdAt, updatedAt: p.e.updatedAt },
        edits,
      )
      idByUid.set(p.e.uid, id)
      for (const [j, run] of p.runs.entries()) {
        const runTaken = await tx.get('SELECT 1 AS x FROM runs WHERE uid = ?', [p.e.runs[j].uid])
        await insertRunTx(tx, id, run, edits.document, p.e.runs[j].createdAt, runTaken ? randomUUID() : p.e.runs[j].uid)
      }
      result.experiments.push({ id, uid, name: p.e.name, runs: p.runs.length, ...(taken ? { renamedFrom: p.e.uid } : {}) })
    }
    // fork links: to a parent in the bundle, else to one already in this database
    for (const p of prepared) {
      if (!p.e.parentUid) continue
      const parentId =
        idByUid.get(p.e.parentUid) ?? (await tx.get<{ id: number }>('SELECT id FROM experiments WHERE uid = ?', [p.e.parentUid]))?.id
      if (parentId !== undefined) await tx.run('UPDATE experiments SET parent_id = ? WHERE id = ?', [parentId, idByUid.get(p.e.uid)!])
      else
        result.warnings.push(
          `experiment "${p.e.name}" was forked from ${p.e.parentUid}, which is neither in the bundle nor in this database; the link was dropped`,
        )
    }
    // read back one run to be sure blobs survived the trip (cheap guard against codec mistakes)
    const first = result.experiments.find((x) => x.runs > 0)
    if (first) await getRunTx(tx, (await tx.get<{ id: number }>('SELECT id FROM runs WHERE experiment_id = ? LIMIT 1', [first.id]))!.id)
    return result
  }, 'importing an experiment bundle')
}

function toNewRun(r: BundleRun, where: string): NewRun {
  const blobs: Record<string, RunBlob> = {}
  for (const [name, b] of Object.entries(r.blobs)) {
    const blob: RunBlob = {
      dtype: b.dtype,
      shape: b.shape,
      data: bufferToBlob(b.dtype, Buffer.from(b.base64, 'base64'), `${where} blob "${name}"`),
    }
    checkBlob(name, blob)
    blobs[name] = blob
  }
  const run: NewRun = {
    kind: r.kind,
    inputs: r.inputs,
    settings: r.settings,
    outputs: r.outputs,
    metrics: r.metrics,
    timingsMs: r.timingsMs,
    blobs,
    appVersion: r.appVersion,
    runtimeVersion: r.runtimeVersion,
    executionProvider: r.executionProvider,
    checkpoint: r.checkpoint?.toLowerCase() ?? null,
    edits: validateEdits(r.edits).document as SenseEditDocument,
  }
  checkNewRun(run)
  return run
}

function asBundleError(err: unknown, where: string): WorkbenchError {
  const msg = err instanceof Error ? err.message : String(err)
  return new WorkbenchError('bundle-invalid', `experiment bundle ${where}: ${msg}`, { cause: err })
}
