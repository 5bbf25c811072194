import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { Worker } from 'node:worker_threads'
import { WorkbenchError } from '../../shared/errors'
import type { ReferenceProgress } from './reference-forward'
import type { FromReferenceWorker, ReferenceRequest, ReferenceResult } from './reference-protocol'

/**
 * Where the worker entry is: the built `reference-worker.js` next to this module (electron-vite
 * builds it as its own entry of `out/main`, see electron.vite.config.ts) or one folder up from a
 * chunk, else the TypeScript source loaded through tsx inside the worker (CLI, vitest).
 */
function startWorker(): Worker {
  for (const rel of ['./reference-worker.js', '../reference-worker.js', './reference-worker.mjs']) {
    const url = new URL(rel, import.meta.url)
    if (url.protocol === 'file:' && existsSync(fileURLToPath(url))) return new Worker(url)
  }
  const ts = new URL('./reference-worker.ts', import.meta.url)
  if (!existsSync(fileURLToPath(ts))) throw new WorkbenchError('internal', `reference worker not found next to ${import.meta.url}`)
  // loader hooks of the parent (tsx, vitest) do not reach worker threads on Node 20
  const tsxDir = dirname(createRequire(import.meta.url).resolve('tsx/package.json'))
  const api = pathToFileURL(join(tsxDir, 'dist/esm/api/index.mjs')).href
  const code = `import(${JSON.stringify(api)}).then((m) => m.tsImport(${JSON.stringify(ts.href)}, ${JSON.stringify(ts.href)}))`
  return new Worker(code, { eval: true })
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
    worker.on('error', (e) => finish(() => reject(new WorkbenchError('runtime', `the reference worker crashed: ${e.message}`, { cause: e }))))
    worker.on('exit', (code) => finish(() => reject(new WorkbenchError('runtime', `the reference worker exited (code ${code}) before answering`))))
    const request: ReferenceRequest = { type: 'run', checkpointDir: resolve(checkpointDir), ids: [...ids] }
    worker.postMessage(request)
  })
}
