import { WorkbenchError } from '../../shared/errors'
import type { RunRecord } from '../../shared/store/experiment-types'
import { compareValues, type ValueDiff } from './compare-values'
import type { ExperimentRunner } from './experiment-runner'
import type { ExperimentStore } from './experiment-store'

export interface ReopenedRun {
  run: RunRecord
  /** the fresh run's outputs, metrics and blobs (not recorded) */
  rerun: Pick<RunRecord, 'outputs' | 'metrics' | 'blobs'>
  /** true when outputs, metrics and blobs all match within `atol` */
  reproduced: boolean
  atol: number
  rtol: number
  outputs: ValueDiff
  metrics: ValueDiff
  blobs: ValueDiff
  /** how the stored run's making differs from the fresh one's (provider, runtime and app versions), e.g. 'executionProvider: cpu → cuda' */
  differences: string[]
}

/**
 * Reopens a stored run exactly (any kind the runner knows; a sampled generation from its seed): re-runs its kind, inputs and settings with the edit document
 * it was recorded with, on the same checkpoint, and checks that the outputs are the same
 * within |stored − fresh| ≤ atol + rtol·|stored| (defaults 1e-5 and 1e-5: float32 model outputs
 * may differ in the last bits between execution providers or thread counts, and derived metrics
 * such as a perplexity can be large). `differences` names what differs in how the two were made
 * (provider, runtime and app versions), which explains a run that does not reproduce.
 */
export async function reopenRun(
  store: ExperimentStore,
  runId: number,
  runner: ExperimentRunner,
  options: { atol?: number; rtol?: number } = {},
): Promise<ReopenedRun> {
  const run = await store.getRun(runId)
  if (run.checkpoint && run.checkpoint !== runner.checkpointHash) {
    throw new WorkbenchError(
      'bad-request',
      `run ${runId} was made with checkpoint ${run.checkpoint.slice(0, 16)}…, but the loaded model is ${runner.checkpointHash.slice(0, 16)}…; load that checkpoint to reopen it`,
    )
  }
  if (!runner.kinds.includes(run.kind))
    throw new WorkbenchError('bad-request', `run ${runId} is a "${run.kind}" run; this runner re-runs ${runner.kinds.join(', ')}`)
  const fresh = await runner.run({ kind: run.kind, inputs: run.inputs, settings: run.settings }, run.edits)
  const atol = options.atol ?? 1e-5
  const rtol = options.rtol ?? 1e-5
  const outputs = compareValues(run.outputs, fresh.outputs, atol, rtol)
  const metrics = compareValues(run.metrics, fresh.metrics, atol, rtol)
  const blobs = compareValues(
    Object.fromEntries(Object.entries(run.blobs).map(([k, b]) => [k, { shape: b.shape, data: b.data }])),
    Object.fromEntries(Object.entries(fresh.blobs ?? {}).map(([k, b]) => [k, { shape: b.shape, data: b.data }])),
    atol,
    rtol,
  )
  const differences: string[] = []
  for (const key of ['executionProvider', 'runtimeVersion', 'appVersion'] as const) {
    const now = runner.origin?.[key]
    if (now !== undefined && run[key] !== now) differences.push(`${key}: ${run[key] ?? 'unknown'} → ${now ?? 'unknown'}`)
  }
  return {
    differences,
    run,
    rerun: { outputs: fresh.outputs, metrics: fresh.metrics, blobs: fresh.blobs ?? {} },
    reproduced: outputs.equal && metrics.equal && blobs.equal,
    atol,
    rtol,
    outputs,
    metrics,
    blobs,
  }
}
