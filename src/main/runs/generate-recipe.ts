import type { GenerationView } from '../../shared/ipc/api-types'
import type { RunBlob } from '../../shared/store/experiment-types'
import type { RunRecipe } from './run-recipe'
import { finiteMean, promptInputs, promptRequest } from './prompt-spec'

/**
 * `generate.run` → a `generate` run: inputs the prompt, settings every decoding setting with the
 * defaults the handler applies written out (strategy, maxNewTokens; sampled: temperature, topK,
 * topP and the seed), so a reopen decodes exactly the same; outputs the baseline and (with edits)
 * the edited continuation and the first differing token; each side's per-token log-probs as a
 * float32 blob; metrics the token counts, mean log-probs and firstDifference. Speed (tokens per
 * second, speculation counts) goes to the timings, never to the outputs a reopen compares.
 */
export const generateRecipe: RunRecipe<'generate.run'> = {
  method: 'generate.run',
  kind: 'generate',
  matches: (spec) => spec.kind === 'generate',
  spec(r) {
    const settings =
      r.strategy === 'sample'
        ? {
            strategy: r.strategy,
            maxNewTokens: r.maxNewTokens,
            temperature: r.temperature ?? 1,
            ...(r.topK !== undefined ? { topK: r.topK } : {}),
            ...(r.topP !== undefined ? { topP: r.topP } : {}),
            seed: r.seed ?? 0,
          }
        : { strategy: r.strategy, maxNewTokens: r.maxNewTokens }
    const speed = {
      ...(r.speculate !== undefined ? { speculate: r.speculate } : {}),
      ...(r.recompute !== undefined ? { recompute: r.recompute } : {}),
      ...(r.attribute !== undefined ? { attribute: r.attribute } : {}),
    }
    return { kind: 'generate', inputs: promptInputs(r), settings: { ...settings, ...speed } }
  },
  request: (spec) => ({ ...promptRequest(spec), ...spec.settings }),
  record(_request, g) {
    const blobs: Record<string, RunBlob> = { baselineLogProbs: logProbBlob(g.baseline) }
    if (g.edited) blobs.editedLogProbs = logProbBlob(g.edited)
    const metrics: Record<string, number> = { baselineTokens: g.baseline.tokens.length, ...meanOf('baselineMeanLogProb', g.baseline) }
    if (g.edited) Object.assign(metrics, { editedTokens: g.edited.tokens.length, ...meanOf('editedMeanLogProb', g.edited) })
    if (g.firstDifference !== null) metrics.firstDifference = g.firstDifference
    return {
      outputs: {
        prompt: g.prompt,
        settings: g.settings,
        baseline: stored(g.baseline),
        edited: g.edited ? stored(g.edited) : null,
        firstDifference: g.firstDifference,
      },
      metrics,
      blobs,
      timingsMs: {
        baselineTokensPerSecond: g.baseline.tokensPerSecond,
        ...(g.edited ? { editedTokensPerSecond: g.edited.tokensPerSecond } : {}),
      },
    }
  },
}

function stored(v: GenerationView): Omit<GenerationView, 'tokensPerSecond' | 'timingsMs' | 'speculation'> {
  const { tokensPerSecond: _speed, timingsMs: _timings, speculation: _guesses, ...rest } = v
  return rest
}

function logProbBlob(v: GenerationView): RunBlob {
  const data = Float32Array.from(v.tokens.map((t) => t.logProb)) // (new token)
  return { dtype: 'float32', shape: [data.length], data }
}

function meanOf(name: string, v: GenerationView): Record<string, number> {
  const m = finiteMean(v.tokens.map((t) => t.logProb))
  return m === undefined ? {} : { [name]: m }
}
