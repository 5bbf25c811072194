import { WorkbenchError } from '../../shared/errors'
import type { SaveableMethod } from '../../shared/ipc/request-schemas'
import type { RunSpec } from '../../shared/store/experiment-types'
import { attributeRecipe } from './attribute-recipe'
import { evaluateRecipe } from './evaluate-recipe'
import { generateRecipe } from './generate-recipe'
import { predictRecipe } from './predict-recipe'
import type { RunRecipe } from './run-recipe'
import { atlasRecipe, neighboursRecipe, reverseRecipe } from './senses-recipes'
import { genderBiasRecipe, knowledgeEditRecipe, topicRecipe } from './suite-recipes'

/** Every saveable method's recipe (one per method). */
const RECIPES: readonly RunRecipe[] = [
  predictRecipe,
  attributeRecipe,
  generateRecipe,
  genderBiasRecipe,
  knowledgeEditRecipe,
  topicRecipe,
  atlasRecipe,
  neighboursRecipe,
  reverseRecipe,
  evaluateRecipe,
] as unknown as readonly RunRecipe[]

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

/** The run kinds some recipe records (what a runner over the handler table can re-run). */
export function recipeKinds(): string[] {
  return [...new Set(RECIPES.map((r) => r.kind))]
}
