import { join, resolve } from 'node:path'
import { WorkbenchError } from '../../shared/errors'
import type { SenseEditDocument } from '../../shared/edits/sense-edits'
import type { ApiRequest, ApiResponse } from '../../shared/ipc/api'
import type { SaveableMethod } from '../../shared/ipc/request-schemas'
import { loadSenseEdits } from '../../main/interventions/apply-sense-edits'
import { editTieWarnings } from '../../main/senses/edit-tie-warnings'
import { userDataDir } from '../../main/paths/app-paths'
import { appVersion } from '../../main/paths/app-version'
import type { WeightLayout } from '../../main/runtime/engine-core'
import { resolveModelSource } from '../../main/runtime/model-source'
import { ModelSession } from '../../main/session/model-session'
import type { Workbench } from '../../main/workbench/workbench'
import type { CliIo, Flag } from '../cli-command'

/** --db PATH: the experiment log of `experiment` and of the save flags. */
export const DB_FLAG = {
  db: { type: 'string', description: 'the experiment log (SQLite file)', defaultText: 'experiments.sqlite in the user data folder' },
} as const satisfies Record<string, Flag>

/** --save-new NAME / --save EXPERIMENT_ID (+ --db): record the command's run as an experiment run. */
export const SAVE_FLAGS = {
  'save-new': {
    type: 'string',
    arg: 'NAME',
    description: "save this run in a new experiment NAME holding the command's edits (none: a baseline)",
  },
  save: { type: 'string', arg: 'ID', description: "save this run in experiment ID (its edits must be the command's)" },
  ...DB_FLAG,
} as const satisfies Record<string, Flag>

type Flags = Record<string, string | boolean | string[] | boolean[] | undefined>

/** The database from --db, else `experiments.sqlite` in the user data folder. */
export function dbPathFlag(flags: Flags): string {
  return typeof flags.db === 'string' && flags.db !== '' ? resolve(flags.db) : join(userDataDir(), 'experiments.sqlite')
}

/** Where --save-new / --save put a run (checked before the model opens), or null without them. */
export function saveTarget(flags: Flags): { name: string } | { experimentId: number } | null {
  const name = flags['save-new']
  const id = flags.save
  if (name !== undefined && id !== undefined)
    throw new WorkbenchError('bad-request', 'give --save-new NAME or --save EXPERIMENT_ID, not both')
  if (typeof name === 'string') {
    if (name.trim() === '') throw new WorkbenchError('bad-request', '--save-new needs a name')
    return { name }
  }
  if (typeof id === 'string') {
    if (!/^\d+$/.test(id) || Number(id) < 1)
      throw new WorkbenchError('bad-request', `--save must be an experiment id (a positive integer), got ${JSON.stringify(id)}`)
    return { experimentId: Number(id) }
  }
  return null
}

/**
 * The CLI's door onto the handler table: a Workbench (the object behind the app's and serve's
 * doors) with the model of --checkpoint/--onnx/--provider loaded and the experiment log of --db;
 * the command maps its flags to requests, calls methods and prints their answers. Disposed after.
 * `weights`: how the model holds its weights (Workbench.open; 'mapped' opens fastest, for one pass).
 */
export async function withWorkbench<T>(
  flags: Flags,
  fn: (wb: Workbench) => Promise<T>,
  options: { weights?: WeightLayout } = {},
): Promise<T> {
  const f = flags as { checkpoint?: string; onnx?: string; provider?: string }
  const source = resolveModelSource(f)
  // the model opens on the engine's worker while the handler table's modules load here (their
  // start-up would otherwise come before the open); a session the workbench never took is freed
  const opening = ModelSession.open(source, { ...(f.provider !== undefined ? { provider: f.provider } : {}), ...options })
  opening.catch(() => undefined) // its failure is answered where the workbench awaits it, not as an unhandled rejection
  let wb: Workbench | null = null
  try {
    const { Workbench } = await import('../../main/workbench/workbench')
    wb = new Workbench({ transport: 'cli', version: appVersion(), databasePath: dbPathFlag(flags) })
    await wb.open(source, { opening })
    return await fn(wb)
  } finally {
    if (wb) await wb.dispose()
    else await opening.then((s) => s.dispose()).catch(() => undefined)
  }
}

/**
 * --edits FILE as a request's edits: read and validated for the loaded model by the same
 * validator the handlers use (messages name the edit and field; warnings, tie warnings included,
 * to stderr); undefined
 * without the flag.
 */
export async function editsRequest(wb: Workbench, path: string | undefined, io: CliIo): Promise<SenseEditDocument | undefined> {
  if (path === undefined) return undefined
  const session = wb.session!
  const { edits, warnings } = await loadSenseEdits(session.engine, path)
  // edits of tied or never-seen tokens are named too, as edits.validate answers them
  const ties = editTieWarnings(edits.edits, await session.tiedTokens())
  for (const w of [...warnings, ...ties]) io.stderr.write(`warning: ${w}\n`)
  return edits.document
}

/**
 * Calls a saveable method and, with --save-new/--save, records that very answer as a run
 * (experiments.saveRun answers from the session's memo: nothing is computed twice). Returns the
 * answer and, when saved, `{ experimentId, runId }`.
 */
export async function callAndSave<M extends SaveableMethod>(
  wb: Workbench,
  method: M,
  request: ApiRequest<M>,
  target: { name: string } | { experimentId: number } | null,
): Promise<{ response: ApiResponse<M>; saved?: { experimentId: number; runId: number } }> {
  const response = await wb.call(method, request)
  if (!target) return { response }
  const { experiment, run } = await wb.call('experiments.saveRun', { method, request: request as Record<string, unknown>, ...target })
  return { response, saved: { experimentId: experiment.id, runId: run.id } }
}
