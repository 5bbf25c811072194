import { resolve } from 'node:path'
import { Worker } from 'node:worker_threads'
import { WorkbenchError } from '../../shared/errors'
import type { ReferenceProgress } from './reference-forward'
import type { FromReferenceWorker, ReferenceRequest, ReferenceResult } from './reference-protocol'
import { startWorkerEntry } from '../paths/worker-entry'

/** The reference pass's own worker thread (entry resolution: paths/worker-entry.ts). */
function startWorker(): Worker {
  return startWorkerEntry('reference-worker', import.meta.url)
}

export interface RunReferenceOptions {
  signal?: AbortSignal
  onProgress?: (p: ReferenceProgress) => void
}

/**
 * Runs the float64 reference forward pass on `ids` in a worker of its own that reads the
 * checkpoint itself: the calling thread stays free. Aborting terminates the worker at once
 * (the pass is plain synchronous loops) and rejects with `cancelled`.
 */
export function runReference(checkpointDir: string, ids: readonly number[], options: RunReferenceOptions = {}): Promise<ReferenceResult> {
  const { signal, onProgress } = options
  const cancelled = () => new WorkbenchError('cancelled', 'the float64 reference forward pass was cancelled')
  if (signal?.aborted) return Promise.reject(cancelled())
  return new Promise<ReferenceResult>((resolvePromise, reject) => {
    let settled = false
    const worker = startWorker()
    const finish = (f: () => void) => {
      if (settled) return
      settled = true
      signal?.removeEventListener('abort', onAbort)
      f()
      void worker.terminate()
    }
    const onAbort = () => finish(() => reject(cancelled()))
    signal?.addEventListener('abort', onAbort, { once: true })
    worker.on('message', (msg: FromReferenceWorker) => {
      if (msg.type === 'progress') {
        if (!settled) onProgress?.(msg.progress)
      } else if (msg.ok) finish(() => resolvePromise(msg.value))
      else finish(() => reject(new WorkbenchError(msg.error.code, msg.error.message)))
    })
    worker.on('error', (e) =>
      finish(() => reject(new WorkbenchError('runtime', `the reference worker crashed: ${e.message}`, { cause: e }))),
    )
    worker.on('exit', (code) =>
      finish(() => reject(new WorkbenchError('runtime', `the reference worker exited (code ${code}) before answering`))),
    )
    const request: ReferenceRequest = { type: 'run', checkpointDir: resolve(checkpointDir), ids: [...ids] }
    worker.postMessage(request)
  })
}
