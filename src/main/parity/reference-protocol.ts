import type { ErrorInfo } from '../../shared/errors'
import type { BackpackConfig } from '../../shared/model/config'
import type { ReferenceOutputs, ReferenceProgress } from './reference-forward'

/** What the calling thread asks the reference worker: one forward pass, then the worker exits. */
export interface ReferenceRequest {
  type: 'run'
  checkpointDir: string
  ids: number[]
}

export interface ReferenceResult extends ReferenceOutputs {
  config: BackpackConfig
  /** the weights' content hash (read-checkpoint's), to tie the result to the engine's weights */
  contentHash: string
  /** reading and decoding the checkpoint */
  readMs: number
  /** the float64 forward pass alone */
  forwardMs: number
}

export type FromReferenceWorker =
  | { type: 'progress'; progress: ReferenceProgress }
  | { type: 'result'; ok: true; value: ReferenceResult }
  | { type: 'result'; ok: false; error: ErrorInfo }
