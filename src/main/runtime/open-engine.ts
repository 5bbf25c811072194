import { resolve } from 'node:path'
import { Worker } from 'node:worker_threads'
import { WorkbenchError } from '../../shared/errors'
import type { ConversionProgress } from '../checkpoint/onnx/onnx-cache'
import type { WeightLayout } from './engine-core'
import { disableOrtTelemetry } from './ort-telemetry'
import { parseProviderChoice } from './select-provider'
import { RequestQueue, workerEngine, type WorkerEngine } from './worker-engine'
import { startWorkerEntry } from '../paths/worker-entry'

export interface OpenEngineOptions {
  /** an HF checkpoint directory (converted once, cached by content hash) */
  checkpointDir?: string
  /** a ready ONNX export directory (manifest.json + graphs + weights.bin) */
  onnxDir?: string
  /** 'auto' (default), 'cpu', 'cuda', 'dml', 'coreml', 'webgpu', 'tensorrt' */
  provider?: string
  /** 'prepacked' (default: long-lived engines) or 'mapped' (one-shot work opens faster); see WeightLayout */
  weights?: WeightLayout
  signal?: AbortSignal
  onProgress?: (p: ConversionProgress) => void
}

/** The engine's worker thread (entry resolution: paths/worker-entry.ts). */
export function startWorker(): Worker {
  disableOrtTelemetry() // before the worker's first session: see ort-telemetry.ts
  return startWorkerEntry('engine-worker', import.meta.url)
}

/**
 * Opens a Backpack engine: starts the worker, converts (or finds in the cache) the checkpoint,
 * opens the sessions on the chosen execution provider. Exactly one of checkpointDir/onnxDir.
 */
export async function openEngine(options: OpenEngineOptions): Promise<WorkerEngine> {
  const { checkpointDir, onnxDir, signal, onProgress, weights } = options
  if (!!checkpointDir === !!onnxDir) throw new WorkbenchError('bad-request', 'openEngine needs exactly one of checkpointDir and onnxDir')
  const provider = parseProviderChoice(options.provider)
  if (signal?.aborted) throw new WorkbenchError('cancelled', 'opening the engine was cancelled')
  const worker = startWorker()
  const queue = new RequestQueue(worker)
  try {
    const opened = await queue.call(
      'open',
      [
        {
          ...(checkpointDir ? { checkpointDir: resolve(checkpointDir) } : { onnxDir: resolve(onnxDir!) }),
          provider,
          ...(weights ? { weights } : {}),
        },
      ],
      // the open request reports conversion progress only
      { signal, onProgress: onProgress && ((p) => onProgress(p as ConversionProgress)) },
    )
    return workerEngine(queue, opened)
  } catch (e) {
    await queue.terminate()
    throw e
  }
}
