import type { Worker } from 'node:worker_threads'
import { isErrorInfo, WorkbenchError } from '../../shared/errors'
import type { BackpackConfig } from '../../shared/model/config'
import type { RankedScores } from '../senses/rank-scores'
import type { ProjectRankArgs } from '../senses/shared-ranking'
import type { BackpackEngine, ContextDecoder, EngineProgress, ForwardOutputs, ProviderInfo, RequestOptions } from './backpack-engine'
import type { EngineMethod, EngineMethods, EngineStats, FromWorker, OpenResult } from './engine-protocol'

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
    else p.reject(isErrorInfo(msg.error) ? new WorkbenchError(msg.error.code, msg.error.message) : new WorkbenchError('internal', String(msg.error)))
  }

  #fail(e: WorkbenchError): void {
    if (this.#dead) return
    this.#dead = e
    for (const p of this.#pending.values()) p.reject(e)
    this.#pending.clear()
  }

  call<M extends EngineMethod>(
    method: M,
    args: EngineMethods[M]['args'],
    options: RequestOptions = {},
  ): Promise<EngineMethods[M]['result']> {
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
          this.#pending.set(id, { resolve: settle(resolve as (v: unknown) => void), reject: settle(reject), onProgress })
          this.#worker.ref()
          this.#worker.postMessage({ type: 'request', id, method, args })
        })
      this.#tail = this.#tail.then(run, run)
    })
  }

  async terminate(): Promise<void> {
    this.#fail(new WorkbenchError('cancelled', 'the engine was disposed'))
    await this.#worker.terminate()
  }
}

/** BackpackEngine over a worker; created by openEngine. */
export class WorkerEngine implements BackpackEngine {
  readonly config: BackpackConfig
  readonly contentHash: string
  readonly provider: ProviderInfo
  /** what opening did: conversion cache use and timings (for the CLI and the app's status) */
  readonly opened: OpenResult
  readonly #queue: RequestQueue
  #disposed = false

  constructor(queue: RequestQueue, opened: OpenResult) {
    this.#queue = queue
    this.opened = opened
    this.config = opened.config
    this.contentHash = opened.contentHash
    this.provider = opened.provider
  }

  senseVectors(tokenIds: readonly number[], options?: RequestOptions): Promise<Float32Array> {
    return this.#queue.call('senseVectors', { ids: [...tokenIds] }, options)
  }

  contextualize(ids: readonly number[], options?: RequestOptions): Promise<Float32Array> {
    return this.#queue.call('contextualize', { ids: [...ids] }, options)
  }

  async createDecoder(): Promise<ContextDecoder> {
    const id = await this.#queue.call('createDecoder', {})
    const queue = this.#queue
    let length = 0
    let disposed = false
    return {
      get length() {
        return length
      },
      async append(ids: readonly number[], options: { senses?: Float32Array } = {}): Promise<Float32Array> {
        if (disposed) throw new WorkbenchError('bad-request', 'decoder.append after dispose')
        const r = await queue.call('decoderAppend', { decoder: id, ids: [...ids], ...(options.senses ? { senses: options.senses } : {}) })
        length = r.length
        return r.alpha // (sense, n_new, length_after)
      },
      combine(alphaRows: Float32Array, nQuery = 1, senseScale?: Float32Array): Promise<Float32Array> {
        if (disposed) return Promise.reject(new WorkbenchError('bad-request', 'decoder.combine after dispose'))
        return queue.call('decoderCombine', { decoder: id, alphaRows, nQuery, ...(senseScale ? { senseScale } : {}) }) // (query, vocab)
      },
      async truncate(to: number): Promise<void> {
        if (disposed) throw new WorkbenchError('bad-request', 'decoder.truncate after dispose')
        length = (await queue.call('decoderTruncate', { decoder: id, length: to })).length
      },
      dispose() {
        if (disposed) return
        disposed = true
        queue.call('decoderDispose', { decoder: id }).catch(() => {})
      },
    }
  }

  combine(args: { senses: Float32Array; alphaRows: Float32Array; nQuery: number; senseScale?: Float32Array }, options?: RequestOptions): Promise<Float32Array> {
    return this.#queue.call('combine', args, options)
  }

  project(vectors: Float32Array, n: number, options?: RequestOptions): Promise<Float32Array> {
    return this.#queue.call('project', { vectors, n }, options)
  }

  projectRanked(args: ProjectRankArgs, options?: RequestOptions): Promise<RankedScores[]> {
    return this.#queue.call('projectRanked', args, options)
  }

  embeddingRows(ids: readonly number[]): Promise<Float32Array> {
    return this.#queue.call('embeddingRows', { ids: [...ids] })
  }

  forward(ids: readonly number[], options: { positions?: number[] } & RequestOptions = {}): Promise<ForwardOutputs> {
    const { signal, positions, onProgress } = options
    return this.#queue.call('forward', { ids: [...ids], ...(positions ? { positions: [...positions] } : {}) }, { signal, onProgress })
  }

  /** Counters for tests and diagnostics (sense-cache misses, live decoders). */
  stats(): Promise<EngineStats> {
    return this.#queue.call('stats', {})
  }

  async dispose(): Promise<void> {
    if (this.#disposed) return
    this.#disposed = true
    await this.#queue.call('close', {}).catch(() => null)
    await this.#queue.terminate()
  }
}
