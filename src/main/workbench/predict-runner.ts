import type { SenseEditDocument } from '../../shared/edits/sense-edits'
import { WorkbenchError } from '../../shared/errors'
import type { NewRun, RunSpec } from '../../shared/store/experiment-types'
import { predictTokens } from '../prediction/predict-tokens'
import type { ExperimentRunner } from '../store/experiment-runner'
import type { ModelSession } from '../session/model-session'

/**
 * Runs `predict` specs for the experiment store (saving an experiment with its prompt, and
 * re-running missing cells of a comparison): next-token top-k and per-token log-probs.
 */
export function predictRunner(session: ModelSession, appVersion: string): ExperimentRunner {
  return {
    checkpointHash: session.engine.contentHash,
    kinds: ['predict'],
    async run(spec: RunSpec, edits: SenseEditDocument): Promise<NewRun> {
      if (spec.kind !== 'predict') throw new WorkbenchError('bad-request', `this runner runs "predict" specs, not ${JSON.stringify(spec.kind)}`)
      const text = spec.inputs.text
      if (typeof text !== 'string' || text === '') throw new WorkbenchError('bad-request', 'a predict run needs inputs.text (a non-empty string)')
      const topK = typeof spec.settings.topK === 'number' ? spec.settings.topK : 10
      const ids = await session.encode(text)
      const parsed = edits.edits.length > 0 ? await session.parseEdits(edits) : null
      const p = await predictTokens(session.runner, ids, { top: topK, edits: parsed })
      const lps = p.logProbs.map((l) => l.logProb).filter(Number.isFinite)
      return {
        kind: 'predict',
        inputs: { text, ids },
        settings: { topK },
        // the store summarises `topk` rows as `token prob` in comparisons
        outputs: { topk: p.next.map(({ id, text: t, prob }) => ({ id, token: t, prob })) },
        metrics: {
          top1Prob: p.next[0]?.prob ?? 0,
          ...(lps.length > 0 ? { meanLogProb: lps.reduce((a, b) => a + b, 0) / lps.length } : {}),
        },
        timingsMs: p.timingsMs,
        appVersion,
        runtimeVersion: null,
        executionProvider: session.engine.provider.name,
        checkpoint: session.engine.contentHash,
        edits,
      }
    },
  }
}
