import { emptySenseEdits, type SenseEditDocument } from '../../shared/edits/sense-edits'
import { WorkbenchError } from '../../shared/errors'
import type { ApiParsedRequest, ApiResponse } from '../../shared/ipc/api'
import { senseEditDocumentSchema } from '../../shared/ipc/edit-schemas'
import type { SaveableMethod } from '../../shared/ipc/request-schemas'
import type { RunRecord, RunSummary } from '../../shared/store/experiment-types'
import { parseRequest } from '../../shared/ipc/parse-request'
import { canonicalJson } from '../store/canonical-json'
import type { ExperimentStore } from '../store/experiment-store'
import { recipeFor } from './recipes'
import { recordRun, type RunOrigin } from './record-run'
import type { MemoizedResponse } from './response-memo'

export interface SaveRunContext {
  store: () => Promise<ExperimentStore>
  /** the loaded model's origin (throws `unavailable` without one), and where it was loaded from */
  origin: () => Promise<RunOrigin & { checkpoint: string; source: string; config: Record<string, unknown> }>
  /** the answer to one validated call: remembered from this session, or computed now */
  answer: (method: SaveableMethod, request: object) => Promise<MemoizedResponse>
}

/**
 * `experiments.saveRun`: validates the method's request with its own schema, answers it through
 * the handler table (or this session's memo of the same call), records it with the method's
 * recipe and adds it to the experiment `experimentId` — whose edits must be the request's
 * (`edit-invalid` otherwise) and whose checkpoint must be the loaded one — or to a new experiment
 * `name` holding the request's edits (none: a baseline). Nothing is written when the call fails.
 */
export async function saveRun(
  ctx: SaveRunContext,
  r: ApiParsedRequest<'experiments.saveRun'>,
): Promise<ApiResponse<'experiments.saveRun'>> {
  const recipe = recipeFor(r.method)
  const request = parseRequest(r.method, r.request) as ApiParsedRequest<SaveableMethod>
  const requested = (request as { edits?: SenseEditDocument }).edits
  const origin = await ctx.origin()
  const store = await ctx.store()
  const existing = r.experimentId !== undefined ? await store.get(r.experimentId) : null
  if (existing) {
    if (existing.deletedAt !== null)
      throw new WorkbenchError('bad-request', `experiment ${existing.id} is in the trash; restore it before adding runs`)
    if (!sameEdits(existing.edits, requested)) {
      throw new WorkbenchError(
        'edit-invalid',
        `the request's edits (${requested?.edits.length ?? 0}) are not experiment ${existing.id}'s (${existing.edits.edits.length}); save to a new experiment (name) or send its edits`,
      )
    }
    if (existing.checkpointHash && existing.checkpointHash !== origin.checkpoint) {
      throw new WorkbenchError(
        'checkpoint-mismatch',
        `experiment ${existing.id} is on checkpoint ${existing.checkpointHash.slice(0, 16)}…, the loaded model is ${origin.checkpoint.slice(0, 16)}…`,
      )
    }
  }
  const { response, totalMs } = await ctx.answer(r.method, request)
  await store.recordCheckpoint(origin.checkpoint, origin.source, origin.config)
  const { source: _source, config: _config, ...runOrigin } = origin
  const experiment =
    existing ??
    (await store.save({
      name: r.name!,
      notes: r.notes,
      tags: r.tags,
      edits: { ...(requested ?? emptySenseEdits()), checkpoint: origin.checkpoint },
    }))
  const run = recordRun(recipe, request as never, response as never, runOrigin, experiment.edits, totalMs)
  const stored = await store.addRun(experiment.id, run)
  return { experiment: await store.get(experiment.id), run: summaryOf(stored) }
}

/** Two edit documents make the same edits (names and checkpoint labels aside). */
function sameEdits(stored: SenseEditDocument, requested: SenseEditDocument | undefined): boolean {
  const a = senseEditDocumentSchema.safeParse(stored)
  const edits = a.success ? a.data.edits : stored.edits
  return canonicalJson(edits) === canonicalJson(requested?.edits ?? [])
}

function summaryOf(run: RunRecord): RunSummary {
  const { blobs: _blobs, outputs: _outputs, edits: _edits, ...summary } = run
  return summary
}
