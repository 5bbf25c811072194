import type { ErrorInfo } from '../../shared/errors'
import type { BackpackConfig } from '../../shared/model/config'
import type { ConversionProgress } from '../checkpoint/onnx/onnx-cache'
import type { RankedScores } from '../senses/rank-scores'
import type { ProjectRankArgs } from '../senses/shared-ranking'
import type { EngineProgress, ForwardOutputs, ProviderInfo } from './backpack-engine'
import type { WeightLayout } from './engine-core'

/**
 * Messages between the engine proxy (calling thread) and the engine worker. One request runs at
 * a time; float arrays in results are transferred, never copied twice.
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

export interface EngineMethods {
  open: { args: OpenArgs; result: OpenResult }
  senseVectors: { args: { ids: number[] }; result: Float32Array }
  contextualize: { args: { ids: number[] }; result: Float32Array }
  createDecoder: { args: Record<string, never>; result: number }
  decoderAppend: { args: { decoder: number; ids: number[]; senses?: Float32Array }; result: { alpha: Float32Array; length: number } }
  decoderCombine: { args: { decoder: number; alphaRows: Float32Array; nQuery: number; senseScale?: Float32Array }; result: Float32Array }
  decoderTruncate: { args: { decoder: number; length: number }; result: { length: number } }
  decoderDispose: { args: { decoder: number }; result: null }
  combine: { args: { senses: Float32Array; alphaRows: Float32Array; nQuery: number; senseScale?: Float32Array }; result: Float32Array }
  project: { args: { vectors: Float32Array; n: number }; result: Float32Array }
  projectRanked: { args: ProjectRankArgs; result: RankedScores[] }
  embeddingRows: { args: { ids: number[] }; result: Float32Array }
  forward: { args: { ids: number[]; positions?: number[] }; result: ForwardOutputs }
  stats: { args: Record<string, never>; result: EngineStats }
  close: { args: Record<string, never>; result: null }
}

export type EngineMethod = keyof EngineMethods

export interface EngineStats {
  /** token ids run through the sense network since open (sense-cache misses) */
  sensesComputed: number
  senseCacheSize: number
  decoders: number
}

export type ToWorker =
  | { type: 'request'; id: number; method: EngineMethod; args: unknown }
  | { type: 'cancel'; id: number }

export type FromWorker =
  | { type: 'result'; id: number; ok: true; value: unknown }
  | { type: 'result'; id: number; ok: false; error: ErrorInfo }
  | { type: 'progress'; id: number; progress: ConversionProgress | EngineProgress }
