import type { ErrorInfo } from '../../shared/errors'
import type { BackpackConfig } from '../../shared/model/config'
import type { ConversionProgress } from '../checkpoint/onnx/onnx-cache'
import type { EngineProgress, ProviderInfo } from './backpack-engine'
import type { WeightLayout } from './engine-core'
import type { EngineMethod } from './engine-methods'

/**
 * Messages between the engine proxy (calling thread) and the engine worker. One request runs at
 * a time; typed arrays in results are transferred, never copied twice. Besides the methods of the
 * engine table (engine-methods.ts) the worker answers two lifecycle requests: `open` (convert or
 * find the export, open the sessions) and `close` (release them).
 */
export interface OpenArgs {
  checkpointDir?: string
  onnxDir?: string
  provider: string
  weights?: WeightLayout
}

export interface OpenResult {
  config: BackpackConfig
  contentHash: string
  provider: ProviderInfo
  exportDir: string
  parameterCount: number
  /** what opening had to do with the checkpoint: nothing, read+hash, or convert; 'export' for onnxDir */
  work: 'none' | 'hashed' | 'converted' | 'export'
  timingsMs: Record<string, number>
}

export type LifecycleRequest = 'open' | 'close'

export type ToWorker =
  { type: 'request'; id: number; method: EngineMethod | LifecycleRequest; args: unknown[] } | { type: 'cancel'; id: number }

export type FromWorker =
  | { type: 'result'; id: number; ok: true; value: unknown }
  | { type: 'result'; id: number; ok: false; error: ErrorInfo }
  | { type: 'progress'; id: number; progress: ConversionProgress | EngineProgress }
