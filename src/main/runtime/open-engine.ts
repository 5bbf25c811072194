import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { Worker } from 'node:worker_threads'
import { WorkbenchError } from '../../shared/errors'
import type { ConversionProgress } from '../checkpoint/onnx/onnx-cache'
import type { WeightLayout } from './engine-core'
import { disableOrtTelemetry } from './ort-telemetry'
import { parseProviderChoice } from './select-provider'
import { RequestQueue, workerEngine, type WorkerEngine } from './worker-engine'

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

/**
 * Where the worker entry is: the built `engine-worker.js` next to this module (electron-vite
 * bundles `out/main`, where it must be its own entry — see docs/engine.md) or one folder up
 * from a chunk, else the TypeScript source run through tsx's loader (CLI, vitest).
 */
export function startWorker(): Worker {
  disableOrtTelemetry() // before the worker's first session: see ort.ts
  for (const rel of ['./engine-worker.js', '../engine-worker.js', './engine-worker.mjs']) {
    const url = new URL(rel, import.meta.url)
    if (url.protocol === 'file:' && existsSync(fileURLToPath(url))) return new Worker(url)
  }
  const ts = new URL('./engine-worker.ts', import.meta.url)
  if (!existsSync(fileURLToPath(ts))) throw new WorkbenchError('internal', `engine worker not found next to ${import.meta.url}`)
  // Loader hooks of the parent (tsx, vitest) do not reach worker threads on Node 20: load the
  // source through tsx's tsImport inside the worker instead.
  const tsxDir = dirname(createRequire(import.meta.url).resolve('tsx/package.json'))
  const api = pathToFileURL(join(tsxDir, 'dist/esm/api/index.mjs')).href
  const code = `import(${JSON.stringify(api)}).then((m) => m.tsImport(${JSON.stringify(ts.href)}, ${JSON.stringify(ts.href)}))`
  return new Worker(code, { eval: true })
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
      [{ ...(checkpointDir ? { checkpointDir: resolve(checkpointDir) } : { onnxDir: resolve(onnxDir!) }), provider, ...(weights ? { weights } : {}) }],
      // the open request reports conversion progress only
      { signal, onProgress: onProgress && ((p) => onProgress(p as ConversionProgress)) },
    )
    return workerEngine(queue, opened)
  } catch (e) {
    await queue.terminate()
    throw e
  }
}
