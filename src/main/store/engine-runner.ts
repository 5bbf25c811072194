import type { SenseEditDocument } from '../../shared/edits/sense-edits'
import { WorkbenchError } from '../../shared/errors'
import type { NewRun, RunSpec } from '../../shared/store/experiment-types'
import { parseSenseEditsFor } from '../interventions/apply-sense-edits'
import type { InterventionRunner } from '../interventions/intervention-runner'
import { predictTokens, type Prediction } from '../prediction/predict-tokens'
import { promptIds } from '../tokenizer/prompt-ids'
import type { ExperimentRunner } from './experiment-runner'

export interface EngineRunnerOptions {
  appVersion: string
  /** e.g. "onnxruntime-node 1.30.0" */
  runtimeVersion: string | null
}

/**
 * An ExperimentRunner on a real engine: `predict` runs (next-token top-k and per-token
 * log-probs under the experiment's edits, via the prediction module). The per-token log-probs
 * are also kept as a float32 blob, so a reopened run is checked value by value.
 */
export function engineRunner(analysis: InterventionRunner, options: EngineRunnerOptions): ExperimentRunner {
  const { engine } = analysis
  return {
    checkpointHash: engine.contentHash,
    kinds: ['predict'],
    async run(spec: RunSpec, edits: SenseEditDocument): Promise<NewRun> {
      if (spec.kind !== 'predict') throw new WorkbenchError('bad-request', `the engine runner runs "predict" runs, not ${JSON.stringify(spec.kind)}`)
      const ids = runPromptIds(spec.inputs, engine.config.nPositions)
      const topK = spec.settings.topK ?? 10
      if (typeof topK !== 'number' || !Number.isInteger(topK) || topK < 1 || topK > 1000) throw new WorkbenchError('bad-request', `settings.topK must be an integer in [1, 1000], got ${JSON.stringify(topK)}`)
      const parsed = edits.edits.length > 0 ? parseSenseEditsFor(engine, edits).edits : null
      const t0 = performance.now()
      const p = await predictTokens(analysis, ids, { top: topK, edits: parsed })
      const meta = { appVersion: options.appVersion, runtimeVersion: options.runtimeVersion, executionProvider: engine.provider.name, checkpoint: engine.contentHash }
      return predictRun(p, { text: typeof spec.inputs.text === 'string' ? spec.inputs.text : undefined, ids, topK }, edits, meta, performance.now() - t0)
    },
  }
}

/** Where a run was made: the versions, the provider in use and the checkpoint's content hash. */
export type RunOrigin = Pick<NewRun, 'appVersion' | 'runtimeVersion' | 'executionProvider' | 'checkpoint'>

/**
 * The stored form of one prediction (also used for predictions made by a sweep's workers, so a
 * run made elsewhere is recorded exactly as a local one). The per-token log-probs are kept as a
 * float32 blob too; `totalMs` is the wall time of the prediction.
 */
export function predictRun(
  p: Pick<Prediction, 'tokens' | 'next' | 'logProbs' | 'timingsMs'>,
  prompt: { text?: string; ids: number[]; topK: number },
  edits: SenseEditDocument,
  origin: RunOrigin,
  totalMs: number,
): NewRun {
  const { text, ids, topK } = prompt
  const lps = Float32Array.from(p.logProbs.map((l) => l.logProb)) // (pos - 1)
  const finite = p.logProbs.map((l) => l.logProb).filter(Number.isFinite)
  const meanLogProb = finite.length ? finite.reduce((a, b) => a + b, 0) / finite.length : 0
  return {
    kind: 'predict',
    inputs: text !== undefined ? { text, ids } : { ids },
    settings: { topK },
    outputs: {
      tokens: p.tokens.map(({ id, text: t }) => ({ id, text: t })),
      topk: p.next.map(({ id, text: t, prob, logit }) => ({ id, token: t, prob, logit })),
      logProbs: p.logProbs.map(({ position, id, text: t, logProb, rank }) => ({ position, id, token: t, logProb, rank })),
    },
    metrics: {
      top1Prob: p.next[0]?.prob ?? 0,
      ...(finite.length ? { meanLogProb, perplexity: Math.exp(-meanLogProb) } : {}),
    },
    blobs: { logProbs: { dtype: 'float32', shape: [lps.length], data: lps } },
    timingsMs: { ...p.timingsMs, total: totalMs },
    ...origin,
    edits,
  }
}

function runPromptIds(inputs: Record<string, unknown>, nPositions: number): number[] {
  if (Array.isArray(inputs.ids) && inputs.ids.length > 0 && inputs.ids.every((x) => Number.isInteger(x) && (x as number) >= 0)) return inputs.ids as number[]
  if (typeof inputs.text === 'string' && inputs.text !== '') return promptIds(inputs.text, nPositions, 'inputs.text')
  throw new WorkbenchError('bad-request', 'a predict run needs inputs.text (a non-empty string) or inputs.ids (token ids)')
}
