import type { SenseEditDocument } from '../../shared/edits/sense-edits'
import type { NewRun, RunSpec } from '../../shared/store/experiment-types'

/**
 * What the store needs from the model, injected so the store stays model-free and testable:
 * run one spec (kind, inputs, settings) with an edit document and return the run to record.
 * The CLI and the app wire this to the engine and the prediction/generation modules.
 */
export interface ExperimentRunner {
  /** content hash of the checkpoint this runner uses (runs of other checkpoints are not re-run) */
  readonly checkpointHash: string
  /** run kinds this runner can execute, e.g. ['predict'] */
  readonly kinds: readonly string[]
  /** where this runner's runs are made (versions, provider), to say what differs from a stored run's */
  readonly origin?: Pick<NewRun, 'appVersion' | 'runtimeVersion' | 'executionProvider'>
  run(spec: RunSpec, edits: SenseEditDocument): Promise<NewRun>
}
