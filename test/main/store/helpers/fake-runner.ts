import type { ExperimentRunner } from '../../../../src/main/store/experiment-runner'
import type { SenseEditDocument } from '../../../../src/shared/edits/sense-edits'
import type { NewRun, RunSpec } from '../../../../src/shared/store/experiment-types'

/**
 * A deterministic stand-in for the model in store tests (the real engine is exercised by the
 * CLI test): the output depends on the prompt and on the edits' factors, so different edits give
 * different outputs and the same edits give the same outputs.
 */
export function fakeRunner(checkpointHash = 'ab'.repeat(32)): ExperimentRunner & { calls: number } {
  const runner = {
    checkpointHash,
    kinds: ['predict'] as const,
    calls: 0,
    async run(spec: RunSpec, edits: SenseEditDocument): Promise<NewRun> {
      runner.calls++
      const text = String(spec.inputs.text ?? '')
      const factor = edits.edits.reduce((s, e) => s + ('factor' in e && typeof e.factor === 'number' ? e.factor : 0.25), 0)
      const p = 1 / (2 + text.length + factor)
      const logprobs = Float32Array.from([...text].map((ch, i) => -Math.log(2 + ((ch.charCodeAt(0) + i) % 7) + factor)))
      return {
        ...spec,
        outputs: { topk: [{ id: text.length, token: ` t${text.length}`, prob: p }] },
        metrics: { top1Prob: p, meanLogProb: logprobs.reduce((a, b) => a + b, 0) / Math.max(1, logprobs.length) },
        blobs: { logprobs: { dtype: 'float32', shape: [logprobs.length], data: logprobs } },
        timingsMs: { total: 1 },
        appVersion: '0.1.0',
        runtimeVersion: 'fake',
        executionProvider: 'cpu',
        checkpoint: checkpointHash,
      }
    },
  }
  return runner
}
