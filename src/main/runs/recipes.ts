import { WorkbenchError } from '../../shared/errors'
import type { SaveableMethod } from '../../shared/ipc/request-schemas'
import type { RunSpec } from '../../shared/store/experiment-types'
import { evaluateRecipe } from './evaluate-recipe'
import type { RunRecipe } from './run-recipe'

/** Every saveable method's recipe (one per method). */
const RECIPES: readonly RunRecipe[] = [evaluateRecipe as unknown as RunRecipe]

/** The recipe of a saveable method; `unavailable` while a method has none. */
export function recipeFor<M extends SaveableMethod>(method: M): RunRecipe<M> {
  const recipe = RECIPES.find((r) => r.method === method)
  if (!recipe) throw new WorkbenchError('unavailable', `runs of ${method} cannot be saved yet`)
  return recipe as unknown as RunRecipe<M>
}

/** The recipe that made a stored run, or null for a kind this build does not know. */
export function recipeForSpec(spec: RunSpec): RunRecipe | null {
  return RECIPES.find((r) => r.kind === spec.kind && r.matches(spec)) ?? null
}
