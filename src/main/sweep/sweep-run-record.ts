import type { ApiParsedRequest, ApiResponse } from '../../shared/ipc/api'
import type { SaveableMethod } from '../../shared/ipc/request-schemas'
import { recipeFor } from '../runs/recipes'
import type { RunRecipe } from '../runs/run-recipe'
import { recordRun, type RunOrigin } from '../runs/record-run'
import type { SenseEditDocument } from '../../shared/edits/sense-edits'
import type { TravellingRun } from './sweep-run-codec'

const NO_EDITS: SenseEditDocument = { format: 'backpack-sense-edits', version: 1, edits: [] }

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
  // the same record every door makes (recordRun); the edits are added where the run is stored
  const { edits: _edits, ...made } = recordRun(lookup(method), request, response, origin, NO_EDITS, totalMs)
  return made
}
