import { parentPort } from 'node:worker_threads'
import { toErrorInfo } from '../../shared/errors'
import { readCheckpoint } from '../checkpoint/read-checkpoint'
import { referenceForward, referenceSteps } from './reference-forward'
import type { FromReferenceWorker, ReferenceRequest } from './reference-protocol'
import { ReferenceWeights } from './reference-weights'

/**
 * The reference worker: reads the checkpoint itself and runs the float64 forward pass off the
 * thread that answers requests. One request per worker; cancelling terminates the worker.
 */
const port = parentPort
if (!port) throw new Error('reference-worker must run in a worker thread')

const post = (msg: FromReferenceWorker, transfer: ArrayBuffer[] = []) => port.postMessage(msg, transfer)

port.once('message', async (req: ReferenceRequest) => {
  try {
    const t0 = performance.now()
    const ckpt = await readCheckpoint(req.checkpointDir)
    const total = referenceSteps(ckpt.config.nLayer)
    post({ type: 'progress', progress: { phase: 'read', done: 1, total, message: `read ${ckpt.files.join(', ')}` } })
    const t1 = performance.now()
    const out = referenceForward(new ReferenceWeights(ckpt.config, ckpt.tensors), req.ids, (progress) =>
      post({ type: 'progress', progress }),
    )
    const value = { ...out, config: ckpt.config, contentHash: ckpt.contentHash, readMs: t1 - t0, forwardMs: performance.now() - t1 }
    post({ type: 'result', ok: true, value }, [out.logits.buffer, out.senses.buffer, out.contextualization.buffer] as ArrayBuffer[])
  } catch (e) {
    post({ type: 'result', ok: false, error: toErrorInfo(e) })
  }
})
