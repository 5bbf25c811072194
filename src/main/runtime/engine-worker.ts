import v8 from 'node:v8'
import { runInNewContext } from 'node:vm'
import { parentPort } from 'node:worker_threads'
import { toErrorInfo, WorkbenchError } from '../../shared/errors'
import { ensureOnnxExport } from '../checkpoint/onnx/onnx-cache'
import { readManifest } from '../checkpoint/onnx/onnx-manifest'
import { projectIntoShared } from '../senses/shared-ranking'
import { EngineCore } from './engine-core'
import type { EngineMethod, EngineMethods, FromWorker, OpenArgs, OpenResult, ToWorker } from './engine-protocol'
import { parseProviderChoice } from './select-provider'

/**
 * The engine worker: owns the onnxruntime sessions (their `run` blocks the thread it runs on) and
 * the conversion. Requests arrive one at a time from the proxy in the calling thread.
 */
const port = parentPort
if (!port) throw new Error('engine-worker must run in a worker thread')

let core: EngineCore | null = null
const controllers = new Map<number, AbortController>()

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
  if (v instanceof Float32Array) {
    if (v.buffer instanceof ArrayBuffer && v.byteOffset === 0 && v.byteLength === v.buffer.byteLength && !out.includes(v.buffer)) out.push(v.buffer)
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
    const cached = await ensureOnnxExport(args.checkpointDir, { signal, onProgress: (progress) => post({ type: 'progress', id, progress }) })
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

type Handler<M extends EngineMethod> = (args: EngineMethods[M]['args'], id: number, signal: AbortSignal) => Promise<EngineMethods[M]['result']> | EngineMethods[M]['result']

const handlers: { [M in EngineMethod]: Handler<M> } = {
  open,
  senseVectors: (a) => engine().senseVectors(a.ids),
  contextualize: (a) => engine().contextualize(a.ids),
  createDecoder: () => engine().createDecoder(),
  decoderAppend: (a) => engine().decoderAppend(a.decoder, a.ids, a.senses),
  decoderCombine: (a) => engine().decoderCombine(a.decoder, a.alphaRows, a.nQuery, a.senseScale),
  decoderTruncate: (a) => engine().decoderTruncate(a.decoder, a.length),
  decoderDispose: (a) => {
    engine().disposeDecoder(a.decoder)
    return null
  },
  combine: (a) => engine().combine(a.senses, a.alphaRows, a.nQuery, a.senseScale),
  project: (a) => engine().project(a.vectors, a.n),
  projectRanked: (a) => projectIntoShared((vectors, n) => engine().project(vectors, n), a),
  embeddingRows: (a) => engine().embeddingRows(a.ids),
  forward: (a, id) => engine().forward(a.ids, a.positions, (progress) => post({ type: 'progress', id, progress })),
  stats: () => engine().stats(),
  close: () => {
    core?.dispose()
    core = null
    return null
  },
}

port.on('message', (msg: ToWorker) => {
  if (msg.type === 'cancel') {
    controllers.get(msg.id)?.abort()
    return
  }
  const controller = new AbortController()
  controllers.set(msg.id, controller)
  const handler = handlers[msg.method] as Handler<EngineMethod> | undefined
  void (async () => {
    try {
      if (!handler) throw new WorkbenchError('bad-request', `unknown engine method "${msg.method}"`)
      const value = await handler(msg.args as never, msg.id, controller.signal)
      post({ type: 'result', id: msg.id, ok: true, value })
    } catch (e) {
      post({ type: 'result', id: msg.id, ok: false, error: toErrorInfo(e) })
    } finally {
      controllers.delete(msg.id)
    }
  })()
})
