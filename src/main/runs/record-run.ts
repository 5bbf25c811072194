import type { SenseEditDocument } from '../../shared/edits/sense-edits'
import type { ApiParsedRequest, ApiResponse } from '../../shared/ipc/api'
import type { SaveableMethod } from '../../shared/ipc/request-schemas'
import type { NewRun } from '../../shared/store/experiment-types'
import type { RunRecipe } from './run-recipe'

/** Where a run was made: the versions, the provider in use and the checkpoint's content hash. */
export type RunOrigin = Pick<NewRun, 'appVersion' | 'runtimeVersion' | 'executionProvider' | 'checkpoint'>

/**
 * One call as the run to store: the recipe's spec and record, the origin, the edit document in
 * force and the call's wall time (`timingsMs.total`, unless the response timed itself).
 */
export function recordRun<M extends SaveableMethod>(
  recipe: RunRecipe<M>,
  request: ApiParsedRequest<M>,
  response: ApiResponse<M>,
  origin: RunOrigin,
  edits: SenseEditDocument,
  totalMs: number,
): NewRun {
  const spec = recipe.spec(request)
  const { inputs, settings, ...recorded } = recipe.record(request, response)
  return {
    ...spec,
    inputs: { ...spec.inputs, ...inputs },
    settings: { ...spec.settings, ...settings },
    ...recorded,
    timingsMs: { total: totalMs, ...recorded.timingsMs },
    ...origin,
    edits,
  }
}

/** A request of a saveable method with the edit document in force (none: no edits field). */
export function withEdits(request: Record<string, unknown>, edits: SenseEditDocument | undefined): Record<string, unknown> {
  return edits && edits.edits.length > 0 ? { ...request, edits } : request
}
