import type { SenseEditDocument } from '../../shared/edits/sense-edits'
import { WorkbenchError } from '../../shared/errors'
import type { NewRun, RunSpec } from '../../shared/store/experiment-types'
import type { ApiHandlers } from '../../shared/ipc/api'
import { parseRequest } from '../../shared/ipc/parse-request'
import type { ExperimentRunner } from '../store/experiment-runner'
import { recipeForSpec, recipeKinds } from './recipes'
import { recordRun, withEdits, type RunOrigin } from './record-run'

/**
 * The one ExperimentRunner of every door: a stored spec becomes its method's request again (its
 * recipe), runs through the handler table with the edit document given, and is recorded by the
 * same recipe — so reopening a run and filling a comparison's missing cells work for every kind,
 * whichever door saved it.
 */
export function handlerRunner(handlers: ApiHandlers, origin: RunOrigin & { checkpoint: string }): ExperimentRunner {
  return {
    checkpointHash: origin.checkpoint,
    kinds: recipeKinds(),
    origin,
    async run(spec: RunSpec, edits: SenseEditDocument): Promise<NewRun> {
      const recipe = recipeForSpec(spec)
      if (!recipe)
        throw new WorkbenchError(
          'bad-request',
          `a "${spec.kind}" run with inputs ${JSON.stringify(spec.inputs).slice(0, 200)} is not one this build can run`,
        )
      const request = parseRequest(recipe.method, withEdits(recipe.request(spec), edits))
      const t0 = performance.now()
      const response = await (handlers[recipe.method] as (r: unknown) => Promise<unknown>)(request)
      return recordRun(recipe, request as never, response as never, origin, edits, performance.now() - t0)
    },
  }
}
