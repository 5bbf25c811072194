import v8 from 'node:v8'
import { runInNewContext } from 'node:vm'
import { parentPort } from 'node:worker_threads'
import { toErrorInfo, WorkbenchError } from '../../shared/errors'
import { ensureOnnxExport } from '../checkpoint/onnx/onnx-cache'
import { readManifest } from '../checkpoint/onnx/onnx-manifest'
import { AuxSessions } from './aux-sessions'
import { EngineCore } from './engine-core'
import { engineMethods, type CallContext, type EngineMethod } from './engine-methods'
import type { FromWorker, LifecycleRequest, OpenArgs, OpenResult, ToWorker } from './engine-protocol'
import { ortBackends, ortVersion } from './ort'
import { parseProviderChoice } from './select-provider'

/**
 * The engine worker: owns the onnxruntime sessions — the model's and the helper ones (their `run`
 * blocks the thread it runs on) — and the conversion. Requests arrive one at a time from the
 * proxy in the calling thread and run the engine table's methods (engine-methods.ts).
 */
const port = parentPort
if (!port) throw new Error('engine-worker must run in a worker thread')

/** This worker's model (one per worker: the module's state is the engine's state) and helpers. */
let core: EngineCore | null = null
let aux = new AuxSessions()
/** The running requests' cancellation (the worker is the engine's, so this is per engine too). */
const controllers = new Map<number, AbortController>()
const ort = { version: ortVersion, backends: ortBackends }

function post(msg: FromWorker): void {
  const transfer: ArrayBuffer[] = []
  if (msg.type === 'result' && msg.ok) collectBuffers(msg.value, transfer)
  try {
    port!.postMessage(msg, transfer)
  } catch {
    port!.postMessage(msg) // a buffer that cannot be transferred (native memory): copy instead
  }
}

function collectBuffers(v: unknown, out: ArrayBuffer[]): void {
  if (ArrayBuffer.isView(v)) {
    if (v.buffer instanceof ArrayBuffer && v.byteOffset === 0 && v.byteLength === v.buffer.byteLength && !out.includes(v.buffer))
      out.push(v.buffer)
  } else if (v && typeof v === 'object' && !ArrayBuffer.isView(v)) {
    for (const x of Object.values(v)) collectBuffers(x, out)
  }
}

/**
 * The checkpoint's tensors (~0.7 GB at full size) are garbage once converted; collect them before
 * the sessions allocate their weights so the two never add up in resident memory.
 */
function releaseCheckpointMemory(): void {
  try {
    v8.setFlagsFromString('--expose-gc')
    const gc = runInNewContext('gc') as (() => void) | undefined
    gc?.()
  } catch {
    // not fatal: V8 collects them later
  }
}

function engine(): EngineCore {
  if (!core) throw new WorkbenchError('internal', 'the engine is not open')
  return core
}

async function open(args: OpenArgs, id: number, signal: AbortSignal): Promise<OpenResult> {
  if (core) throw new WorkbenchError('internal', 'the engine is already open')
  const choice = parseProviderChoice(args.provider)
  const t0 = performance.now()
  let dir: string
  let work: OpenResult['work']
  let timingsMs: Record<string, number> = {}
  if (args.onnxDir) {
    dir = args.onnxDir
    work = 'export'
  } else if (args.checkpointDir) {
    const cached = await ensureOnnxExport(args.checkpointDir, {
      signal,
      onProgress: (progress) => post({ type: 'progress', id, progress }),
    })
    dir = cached.dir
    work = cached.work
    timingsMs = { ...cached.timingsMs }
    if (work !== 'none') releaseCheckpointMemory()
  } else {
    throw new WorkbenchError('bad-request', 'open needs a checkpointDir or an onnxDir')
  }
  const manifest = readManifest(dir)
  if (signal.aborted) throw new WorkbenchError('cancelled', 'opening the engine was cancelled')
  const t1 = performance.now()
  core = await EngineCore.open(dir, manifest, choice, { weights: args.weights === 'mapped' ? 'mapped' : 'prepacked' })
  timingsMs.sessions = Math.round(performance.now() - t1)
  timingsMs.total = Math.round(performance.now() - t0)
  return {
    config: manifest.config,
    contentHash: manifest.contentHash,
    provider: core.provider,
    exportDir: dir,
    parameterCount: manifest.parameterCount,
    work,
    timingsMs,
  }
}

const lifecycle: Record<LifecycleRequest, (args: unknown[], id: number, signal: AbortSignal) => Promise<unknown>> = {
  open: (args, id, signal) => open(args[0] as OpenArgs, id, signal),
  close: async () => {
    core?.dispose()
    core = null
    await aux.release()
    aux = new AuxSessions()
    return null
  },
}

function context(id: number, signal: AbortSignal): CallContext {
  return { core: engine, aux, signal, progress: (progress) => post({ type: 'progress', id, progress }), ort }
}

port.on('message', (msg: ToWorker) => {
  if (msg.type === 'cancel') {
    controllers.get(msg.id)?.abort()
    return
  }
  const controller = new AbortController()
  controllers.set(msg.id, controller)
  void (async () => {
    try {
      const value = await dispatch(msg.method, Array.isArray(msg.args) ? msg.args : [], msg.id, controller.signal)
      post({ type: 'result', id: msg.id, ok: true, value })
    } catch (e) {
      post({ type: 'result', id: msg.id, ok: false, error: toErrorInfo(e) })
    } finally {
      controllers.delete(msg.id)
    }
  })()
})

async function dispatch(method: string, args: unknown[], id: number, signal: AbortSignal): Promise<unknown> {
  if (Object.hasOwn(lifecycle, method)) return lifecycle[method as LifecycleRequest](args, id, signal)
  if (!Object.hasOwn(engineMethods, method)) throw new WorkbenchError('bad-request', `unknown engine method "${method}"`)
  const fn = engineMethods[method as EngineMethod] as (c: CallContext, ...a: unknown[]) => unknown
  return fn(context(id, signal), ...args)
}
