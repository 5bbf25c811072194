import type { RunRecipe } from './run-recipe'
import { promptInputs, promptRequest } from './prompt-spec'

/** How many of the largest contributions the outputs list (all of them are in the blob). */
const TOP_CONTRIBUTIONS = 20

/**
 * `predict.attribute` → an `attribute` run: inputs the prompt, settings { position, target };
 * outputs the logit, its total, the prompt's tokens and the largest contributions; every
 * (position, sense) contribution as a float32 blob `contributions` (position, sense);
 * metrics logit and total.
 */
export const attributeRecipe: RunRecipe<'predict.attribute'> = {
  method: 'predict.attribute',
  kind: 'attribute',
  matches: (spec) => spec.kind === 'attribute',
  spec: (r) => ({ kind: 'attribute', inputs: promptInputs(r), settings: { position: r.position, target: r.target } }),
  request: (spec) => ({ ...promptRequest(spec), position: spec.settings.position, target: spec.settings.target }),
  record(_request, a) {
    const positions = Math.max(0, ...a.contributions.map((c) => c.position)) + 1
    const senses = Math.max(0, ...a.contributions.map((c) => c.sense)) + 1
    const grid = new Float32Array(positions * senses) // (position, sense)
    for (const c of a.contributions) grid[c.position * senses + c.sense] = c.value
    const tokens = a.tokens ?? []
    return {
      inputs: { ids: tokens.map((t) => t.id) },
      settings: { target: a.target.id }, // the target as its id, whether the request gave an id or text
      outputs: {
        position: a.position,
        target: a.target,
        logit: a.logit,
        total: a.total,
        edited: a.edited,
        tokens,
        contributions: a.contributions.slice(0, TOP_CONTRIBUTIONS),
        ...(a.byTokenSense ? { byTokenSense: a.byTokenSense.slice(0, TOP_CONTRIBUTIONS) } : {}),
      },
      metrics: { logit: a.logit, total: a.total },
      blobs: { contributions: { dtype: 'float32', shape: [positions, senses], data: grid } },
      timingsMs: {},
    }
  },
}
