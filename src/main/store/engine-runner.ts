import type { SenseEditDocument } from '../../shared/edits/sense-edits'
import { WorkbenchError } from '../../shared/errors'
import type { NewRun, RunSpec } from '../../shared/store/experiment-types'
import { parseSenseEditsFor } from '../interventions/apply-sense-edits'
import type { InterventionRunner } from '../interventions/intervention-runner'
import { predictTokens, type Prediction } from '../prediction/predict-tokens'
import { promptIds } from '../tokenizer/prompt-ids'
import type { ExperimentRunner } from './experiment-runner'
import { predictRecord } from '../runs/predict-recipe'
import type { RunOrigin } from '../runs/record-run'

export interface EngineRunnerOptions {
  appVersion: string
  /** e.g. "onnxruntime-node 1.30.0" */
  runtimeVersion: string | null
}

/**
 * A predict-only ExperimentRunner on an intervention runner alone (no handler table), for code
 * that holds just an engine: records through the predict recipe, as handlerRunner does for every
 * kind (src/main/runs/handler-runner.ts), so both store a prediction identically.
 */
export function engineRunner(analysis: InterventionRunner, options: EngineRunnerOptions): ExperimentRunner {
  const { engine } = analysis
  return {
    checkpointHash: engine.contentHash,
    kinds: ['predict'],
    async run(spec: RunSpec, edits: SenseEditDocument): Promise<NewRun> {
      if (spec.kind !== 'predict')
        throw new WorkbenchError('bad-request', `the engine runner runs "predict" runs, not ${JSON.stringify(spec.kind)}`)
      const ids = runPromptIds(spec.inputs, engine.config.nPositions)
      const topK = spec.settings.topK ?? 10
      if (typeof topK !== 'number' || !Number.isInteger(topK) || topK < 1 || topK > 1000)
        throw new WorkbenchError('bad-request', `settings.topK must be an integer in [1, 1000], got ${JSON.stringify(topK)}`)
      const parsed = edits.edits.length > 0 ? parseSenseEditsFor(engine, edits).edits : null
      const t0 = performance.now()
      const p = await predictTokens(analysis, ids, { top: topK, edits: parsed })
      const meta = {
        appVersion: options.appVersion,
        runtimeVersion: options.runtimeVersion,
        executionProvider: engine.provider.name,
        checkpoint: engine.contentHash,
      }
      return predictRun(
        p,
        { text: typeof spec.inputs.text === 'string' ? spec.inputs.text : undefined, ids, topK },
        edits,
        meta,
        performance.now() - t0,
      )
    },
  }
}

export type { RunOrigin }

/**
 * The stored form of one prediction — the predict recipe's record (src/main/runs/predict-recipe.ts),
 * so a prediction made by a sweep's workers or this runner is recorded exactly as one saved from
 * any door. `totalMs` is the wall time of the prediction.
 */
export function predictRun(
  p: Pick<Prediction, 'tokens' | 'next' | 'logProbs' | 'timingsMs'>,
  prompt: { text?: string; ids: number[]; topK: number },
  edits: SenseEditDocument,
  origin: RunOrigin,
  totalMs: number,
): NewRun {
  const { text, ids, topK } = prompt
  const recorded = predictRecord(p)
  return {
    kind: 'predict',
    inputs: text !== undefined ? { text, ids } : { ids },
    settings: { topK },
    ...recorded,
    timingsMs: { ...recorded.timingsMs, total: totalMs },
    ...origin,
    edits,
  }
}

function runPromptIds(inputs: Record<string, unknown>, nPositions: number): number[] {
  if (Array.isArray(inputs.ids) && inputs.ids.length > 0 && inputs.ids.every((x) => Number.isInteger(x) && (x as number) >= 0))
    return inputs.ids as number[]
  if (typeof inputs.text === 'string' && inputs.text !== '') return promptIds(inputs.text, nPositions, 'inputs.text')
  throw new WorkbenchError('bad-request', 'a predict run needs inputs.text (a non-empty string) or inputs.ids (token ids)')
}
