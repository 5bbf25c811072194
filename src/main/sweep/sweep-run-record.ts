import type { SenseEditDocument } from '../../shared/edits/sense-edits'
import { WorkbenchError } from '../../shared/errors'
import type { ApiParsedRequest, ApiResponse } from '../../shared/ipc/api'
import type { SaveableMethod } from '../../shared/ipc/request-schemas'
import { recipeFor } from '../runs/recipes'
import type { RunRecipe } from '../runs/run-recipe'
import { predictRun, type RunOrigin } from '../store/engine-runner'
import type { TravellingRun } from './sweep-run-codec'

/** Finds a method's recipe (the registry's, or a test's). */
export type RecipeLookup = <M extends SaveableMethod>(method: M) => RunRecipe<M>

const NO_EDITS: SenseEditDocument = { format: 'backpack-sense-edits', version: 1, edits: [] }

/**
 * The stored run of one job a worker ran, made with that method's recipe (as every door saves a
 * run) on the worker, where the response is whole; the edits are added by the recording side
 * once the store has validated them.
 */
export function sweepRunRecord<M extends SaveableMethod>(
  method: M,
  request: ApiParsedRequest<M>,
  response: ApiResponse<M>,
  origin: RunOrigin,
  totalMs: number,
  lookup: RecipeLookup = recipeFor,
): TravellingRun {
  let recipe: RunRecipe<M>
  try {
    recipe = lookup(method)
  } catch (e) {
    // INTEGRATION POINT: predict.next ran through predictRun before it had a recipe; this branch
    // goes once the predict recipe is registered (it records the same shape).
    if (method === 'predict.next' && e instanceof WorkbenchError && e.code === 'unavailable') return predictFallback(request as ApiParsedRequest<'predict.next'>, response as ApiResponse<'predict.next'>, origin, totalMs)
    throw e
  }
  const spec = recipe.spec(request)
  const { edits: _edits, ...made } = { ...spec, ...recipe.record(request, response), ...origin } as TravellingRun & { edits?: unknown }
  return made
}

function predictFallback(request: ApiParsedRequest<'predict.next'>, response: ApiResponse<'predict.next'>, origin: RunOrigin, totalMs: number): TravellingRun {
  const ids = response.tokens.map((t) => t.id)
  const { edits: _edits, ...run } = predictRun(response, { text: request.text, ids, topK: request.topK }, NO_EDITS, origin, totalMs)
  return run
}
