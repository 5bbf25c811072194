import type { BackendInfo } from './ort'
import { startWorker } from './open-engine'
import { RequestQueue } from './worker-engine'

/**
 * The onnxruntime version and execution providers, asked of an engine worker with no model open:
 * onnxruntime is loaded only in the worker, never on the calling thread.
 */
export async function runtimeInfo(): Promise<{ onnxruntime: string; backends: BackendInfo[] }> {
  const queue = new RequestQueue(startWorker())
  try {
    return await queue.call('runtimeInfo', [])
  } finally {
    await queue.terminate()
  }
}
