import type { Worker } from 'node:worker_threads'
import { isErrorInfo, WorkbenchError } from '../../shared/errors'
import type { BackpackEngine, ContextDecoder, EngineProgress, RequestOptions } from './backpack-engine'
import { engineMethods, type EngineCalls, type EngineMethod, type EngineMethodTable } from './engine-methods'
import type { FromWorker, LifecycleRequest, OpenArgs, OpenResult } from './engine-protocol'

interface Pending {
  resolve(v: unknown): void
  reject(e: unknown): void
  onProgress?: (p: EngineProgress) => void
}

const cancelled = (method: string) => new WorkbenchError('cancelled', `engine request "${method}" was cancelled`)

/**
 * The calling thread's side of the engine: a queue of requests to the worker (one runs at a
 * time), cancellation by AbortSignal, progress events, and results as transferred buffers.
 * Request arrays are copied to the worker (structured clone), so callers keep theirs.
 */
export class RequestQueue {
  readonly #worker: Worker
  readonly #pending = new Map<number, Pending>()
  #tail: Promise<void> = Promise.resolve()
  #next = 1
  #dead: WorkbenchError | null = null

  constructor(worker: Worker) {
    this.#worker = worker
    worker.unref()
    worker.on('message', (msg: FromWorker) => this.#onMessage(msg))
    worker.on('error', (e) => this.#fail(new WorkbenchError('runtime', `the engine worker crashed: ${e.message}`, { cause: e })))
    worker.on('exit', (code) => this.#fail(new WorkbenchError('runtime', `the engine worker exited (code ${code})`)))
  }

  #onMessage(msg: FromWorker): void {
    const p = this.#pending.get(msg.id)
    if (!p) return
    if (msg.type === 'progress') {
      p.onProgress?.(msg.progress)
      return
    }
    this.#pending.delete(msg.id)
    if (this.#pending.size === 0) this.#worker.unref()
    if (msg.ok) p.resolve(msg.value)
    else
      p.reject(
        isErrorInfo(msg.error) ? new WorkbenchError(msg.error.code, msg.error.message) : new WorkbenchError('internal', String(msg.error)),
      )
  }

  #fail(e: WorkbenchError): void {
    if (this.#dead) return
    this.#dead = e
    for (const p of this.#pending.values()) p.reject(e)
    this.#pending.clear()
  }

  call<M extends EngineMethod>(method: M, args: unknown[], options?: RequestOptions): Promise<Awaited<ReturnType<EngineMethodTable[M]>>>
  call(method: 'open', args: [OpenArgs], options?: RequestOptions): Promise<OpenResult>
  call(method: 'close', args: [], options?: RequestOptions): Promise<null>
  call(method: EngineMethod | LifecycleRequest, args: unknown[], options: RequestOptions = {}): Promise<unknown> {
    const { signal, onProgress } = options
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(cancelled(method))
      const onQueuedAbort = () => reject(cancelled(method))
      signal?.addEventListener('abort', onQueuedAbort, { once: true })
      const run = () =>
        new Promise<void>((done) => {
          signal?.removeEventListener('abort', onQueuedAbort)
          if (signal?.aborted) return done()
          if (this.#dead) {
            reject(this.#dead)
            return done()
          }
          const id = this.#next++
          const onAbort = () => {
            this.#worker.postMessage({ type: 'cancel', id })
            reject(cancelled(method))
          }
          signal?.addEventListener('abort', onAbort, { once: true })
          const settle = (f: (v: unknown) => void) => (v: unknown) => {
            signal?.removeEventListener('abort', onAbort)
            f(v)
            done() // the worker is free again only when it answers
          }
          this.#pending.set(id, { resolve: settle(resolve), reject: settle(reject), onProgress })
          this.#worker.ref()
          this.#worker.postMessage({ type: 'request', id, method, args })
        })
      this.#tail = this.#tail.then(run, run)
    })
  }

  /** Asks the worker to stop what it is running; each request answers `cancelled` at its next check. */
  cancelAll(): void {
    for (const id of this.#pending.keys()) this.#worker.postMessage({ type: 'cancel', id })
  }

  async terminate(): Promise<void> {
    this.#fail(new WorkbenchError('cancelled', 'the engine was disposed'))
    await this.#worker.terminate()
  }
}

/**
 * Splits a call's arguments into the method's own and the per-call RequestOptions: `signal` and
 * `onProgress` are lifted out of a trailing plain-object argument, which is dropped when nothing
 * else is left in it (see engineMethods).
 */
function splitOptions(args: unknown[]): { args: unknown[]; options: RequestOptions } {
  const last = args.at(-1)
  if (!last || typeof last !== 'object' || Object.getPrototypeOf(last) !== Object.prototype) return { args, options: {} }
  const { signal, onProgress, ...rest } = last as RequestOptions & Record<string, unknown>
  const own = Object.keys(rest).length > 0 ? [...args.slice(0, -1), rest] : args.slice(0, -1)
  return { args: own, options: { signal, onProgress } }
}

/**
 * Structured clone copies a typed array's whole buffer, so a view into a larger buffer (a chunk
 * of a sense table, a row block) is sent as a compact copy of its own elements — at the top level
 * and one object deep (e.g. combine's arguments).
 */
function compactViews(args: unknown[]): unknown[] {
  const compact = (v: unknown): unknown =>
    ArrayBuffer.isView(v) &&
    !(v instanceof DataView) &&
    v.buffer instanceof ArrayBuffer &&
    (v.byteOffset !== 0 || v.byteLength !== v.buffer.byteLength)
      ? (v as unknown as { slice(): unknown }).slice()
      : v
  return args.map((a) => {
    if (!a || typeof a !== 'object' || Object.getPrototypeOf(a) !== Object.prototype) return compact(a)
    return Object.fromEntries(Object.entries(a).map(([k, v]) => [k, compact(v)]))
  })
}

/** BackpackEngine over a worker: every method of the engine table, plus what opening reported. */
export interface WorkerEngine extends Omit<BackpackEngine, 'projectRanked' | 'senseHalves'>, EngineCalls {
  /** what opening did: conversion cache use and timings (for the CLI and the app's status) */
  readonly opened: OpenResult
}

/** The proxy of the engine table over a request queue; created by openEngine. */
export function workerEngine(queue: RequestQueue, opened: OpenResult): WorkerEngine {
  const calls = Object.fromEntries(
    Object.keys(engineMethods).map((method) => [
      method,
      (...given: unknown[]) => {
        const { args, options } = splitOptions(given)
        return queue.call(method as EngineMethod, compactViews(args), options)
      },
    ]),
  ) as EngineCalls
  let disposed = false
  return {
    ...calls,
    opened,
    config: opened.config,
    contentHash: opened.contentHash,
    provider: opened.provider,
    createDecoder: () => createDecoder(calls),
    async dispose() {
      if (disposed) return
      disposed = true
      // the request in flight stops at its next cancellation check, so closing need not wait it out
      queue.cancelAll()
      await queue.call('close', []).catch(() => null)
      await queue.terminate()
    },
  }
}

/** Incremental decoding over the decoder methods of the table: the worker keeps the K/V state, this side a handle. */
async function createDecoder(calls: EngineCalls): Promise<ContextDecoder> {
  const id = await calls.decoderCreate()
  let length = 0
  let disposed = false
  return {
    get length() {
      return length
    },
    async append(ids: readonly number[], options: { senses?: Float32Array } = {}): Promise<Float32Array> {
      if (disposed) throw new WorkbenchError('bad-request', 'decoder.append after dispose')
      const r = await calls.decoderAppend(id, ids, options.senses)
      length = r.length
      return r.alpha // (sense, n_new, length_after)
    },
    combine(alphaRows: Float32Array, nQuery = 1, senseScale?: Float32Array): Promise<Float32Array> {
      if (disposed) return Promise.reject(new WorkbenchError('bad-request', 'decoder.combine after dispose'))
      return calls.decoderCombine(id, alphaRows, nQuery, senseScale) // (query, vocab)
    },
    async truncate(to: number): Promise<void> {
      if (disposed) throw new WorkbenchError('bad-request', 'decoder.truncate after dispose')
      length = (await calls.decoderTruncate(id, to)).length
    },
    dispose() {
      if (disposed) return
      disposed = true
      calls.decoderDispose(id).catch(() => {})
    },
  }
}
