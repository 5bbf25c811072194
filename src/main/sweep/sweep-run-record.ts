import type { ApiParsedRequest, ApiResponse } from '../../shared/ipc/api'
import type { SaveableMethod } from '../../shared/ipc/request-schemas'
import { recipeFor } from '../runs/recipes'
import type { RunRecipe } from '../runs/run-recipe'
import type { RunOrigin } from '../runs/record-run'
import type { TravellingRun } from './sweep-run-codec'

/** Finds a method's recipe (the registry's, or a test's). */
export type RecipeLookup = <M extends SaveableMethod>(method: M) => RunRecipe<M>

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
  const recipe = lookup(method)
  const spec = recipe.spec(request)
  const { edits: _edits, ...made } = { ...spec, ...recipe.record(request, response), ...origin } as TravellingRun & { edits?: unknown }
  return made
}
