import { hostname } from 'node:os'
import { UnrecoverableError, Worker, type Job } from 'bullmq'
import { Redis } from 'ioredis'
import { toErrorInfo, WorkbenchError, type ErrorCode, type ErrorInfo } from '../../shared/errors'
import type { ApiMethod } from '../../shared/ipc/api'
import type { ModelInfo } from '../../shared/ipc/api-types'
import { REQUEST_SCHEMAS } from '../../shared/ipc/request-schemas'
import { SWEEP_METHODS, type SweepMethod } from '../../shared/sweep/sweep-document'
import { parseRequest } from '../../shared/ipc/parse-request'
import type { ApiHandler } from '../../shared/ipc/api'
import { runtimeInfo } from '../runtime/runtime-info'
import { parseProviderChoice } from '../runtime/select-provider'
import { Workbench } from '../workbench/workbench'
import { checkRedis, redisError, redisOptions } from '../sweep/redis-connection'
import { cancelChannel, sweepKeys, type SweepJobData, type SweepJobResult } from '../sweep/sweep-jobs'
import { encodeRun, encodeValue } from '../sweep/sweep-run-codec'
import { TABLE_ROWS_METHOD, tableRows, type TableRowsRequest } from '../sweep/sense-table-shards'
import { sweepRunRecord, type RecipeLookup } from '../sweep/sweep-run-record'

/**
 * A queue worker: the fourth door. It opens one model through the same handler table as every
 * other door (kept for the worker's life), then pulls sweep jobs from BullMQ and dispatches each
 * `{method, request}` through that table. Transport only: it refuses a job for another checkpoint
 * (never runs it on this model), marks errors that can never succeed as unrecoverable (no retry),
 * and aborts a running job when its sweep is cancelled.
 */
export interface SweepWorkerOptions {
  redis: string
  queue: string
  concurrency: number
  /** checkpoint directory; omitted: the bundled demo */
  checkpoint?: string
  /** execution provider the model must run on ('auto': whatever the engine picks) */
  provider?: string
  /** how long a job's lock lives without renewal; a killed worker's job is handed on after about this long */
  lockMs: number
  appVersion: string
  /** one line per event (ready, job finished/failed, Redis trouble) */
  log: (event: Record<string, unknown>) => void
  /** where runs get their recipe (default: the registry) */
  recipes?: RecipeLookup
}

export interface RunningSweepWorker {
  model: ModelInfo
  /** finishes (or hands back) the running jobs, then frees the model and the connections */
  close(): Promise<void>
}

const METHODS = new Set<string>([...SWEEP_METHODS, TABLE_ROWS_METHOD])
/** Error codes a second attempt could fix (the engine or the machine failed, not the request). */
const RETRYABLE = new Set<ErrorCode>(['runtime', 'internal', 'store-io', 'queue'])

export async function startSweepWorker(o: SweepWorkerOptions): Promise<RunningSweepWorker> {
  const provider = parseProviderChoice(o.provider)
  await checkRedis(o.redis)
  const workbench = new Workbench({ transport: 'worker', version: o.appVersion, provider })
  const handlers = workbench.handlers()
  let model: ModelInfo
  try {
    model = await handlers['model.load'](parseRequest('model.load', o.checkpoint ? { checkpoint: o.checkpoint } : {}))
  } catch (e) {
    await workbench.dispose()
    throw e
  }
  if (provider !== 'auto' && model.provider.name !== provider) {
    await workbench.dispose()
    throw new WorkbenchError(
      'provider-unavailable',
      `--provider ${provider} was asked for but the model runs on ${model.provider.name}${model.provider.reason ? ` (${model.provider.reason})` : ''}`,
    )
  }
  const name = `${hostname()}/${process.pid}`
  // the version as the engine worker reports it: onnxruntime stays off this thread
  const { onnxruntime } = await runtimeInfo()
  const origin = {
    appVersion: o.appVersion,
    runtimeVersion: `onnxruntime-node ${onnxruntime}`,
    executionProvider: model.provider.name,
    checkpoint: model.contentHash,
  }
  const connection = { ...redisOptions(o.redis), maxRetriesPerRequest: null }
  const control = new Redis(connection)
  const subscriber = new Redis(connection)
  control.on('error', () => undefined) // the worker's own 'error' handler reports connection trouble once
  subscriber.on('error', () => undefined)
  const active = new Map<string, string>() // job id → sweep id

  const processor = async (job: Job<SweepJobData, SweepJobResult>, _token?: string, signal?: AbortSignal): Promise<SweepJobResult> => {
    const d = job.data
    if (!d || typeof d !== 'object' || !METHODS.has(d.method))
      fail('bad-request', `job ${job.id}: method ${JSON.stringify(d?.method)} is not one a worker runs (${[...METHODS].join(', ')})`)
    if (d.checkpointHash !== model.contentHash) {
      fail(
        'checkpoint-mismatch',
        `job ${job.id} is for checkpoint ${String(d.checkpointHash).slice(0, 16)}…, this worker serves ${model.contentHash.slice(0, 16)}… (${model.checkpointDir}); refused`,
      )
    }
    const cancelled = async () => (await control.exists(sweepKeys(o.queue, d.sweepId).cancelled)) === 1
    if (await cancelled()) fail('cancelled', `sweep ${d.sweepId} was cancelled before job ${job.id} started`)
    active.set(job.id!, d.sweepId)
    o.log({ event: 'started', job: job.id })
    if (d.method === TABLE_ROWS_METHOD) {
      try {
        const t0 = performance.now()
        const rows = await abortable(tableRows(workbench.engine!, d.request as unknown as TableRowsRequest, signal), signal)
        return { rows, totalMs: performance.now() - t0, worker: name }
      } catch (e) {
        if (e instanceof UnrecoverableError) throw e
        const info = toErrorInfo(e)
        if (RETRYABLE.has(info.code)) throw new Error(tagged(info))
        fail(info.code, info.message)
      } finally {
        active.delete(job.id!)
      }
    }
    const method = d.method as SweepMethod
    // a method that takes a run id gets the job's, so a cancel stops the engine work too
    const runId = 'runId' in REQUEST_SCHEMAS[method].shape ? `sweep-${job.id}` : undefined
    const onAbort = () => runId && void handlers['run.cancel']({ runId }).catch(() => undefined)
    signal?.addEventListener('abort', onAbort, { once: true })
    try {
      const t0 = performance.now()
      let run
      let part: string | undefined
      try {
        const request = parseRequest(method, runId ? { ...d.request, runId } : d.request)
        const handler = handlers[method] as ApiHandler<ApiMethod> as (r: unknown) => Promise<never>
        const response = await abortable(handler(request), signal)
        const totalMs = performance.now() - t0
        const { runId: _r, ...asked } = request as typeof request & { runId?: string }
        // a part of a split job: its answer goes back whole, the follower merges the parts into one run
        if (d.part) part = encodeValue(response)
        else run = sweepRunRecord(method, asked as never, response, origin, totalMs, o.recipes)
      } catch (e) {
        if (e instanceof UnrecoverableError) throw e
        const info = toErrorInfo(e)
        if (RETRYABLE.has(info.code)) throw new Error(tagged(info))
        fail(info.code, info.message)
      }
      if (await cancelled()) fail('cancelled', `sweep ${d.sweepId} was cancelled while job ${job.id} ran; its result is dropped`)
      if (part !== undefined) return { response: part, origin, totalMs: performance.now() - t0, worker: name }
      return { run: encodeRun(run!), totalMs: performance.now() - t0, worker: name }
    } finally {
      signal?.removeEventListener('abort', onAbort)
      active.delete(job.id!)
    }
  }

  const workerRedis = new Redis(connection)
  workerRedis.on('error', () => undefined)
  const worker = new Worker<SweepJobData, SweepJobResult>(o.queue, processor, {
    name, // each job records the worker that took it (processedBy)
    connection: workerRedis,
    concurrency: o.concurrency,
    lockDuration: o.lockMs,
    stalledInterval: o.lockMs,
    maxStalledCount: 5, // a starved event loop can miss a lock renewal; only repeated stalls fail a job
    autorun: false,
  })
  let lastError = ''
  worker.on('error', (e) => {
    const info = redisError(e, o.redis, 'waiting for jobs').toInfo()
    if (info.message !== lastError) o.log({ event: 'redis-error', ...info })
    lastError = info.message
  })
  worker.on('completed', (job) => o.log({ event: 'completed', job: job.id }))
  worker.on('failed', (job, e) => o.log({ event: 'failed', job: job?.id, reason: e.message }))
  await subscriber.subscribe(cancelChannel(o.queue))
  subscriber.on('message', (_channel, sweepId: string) => {
    for (const [id, sid] of active) if (sid === sweepId) worker.cancelJob(id, `sweep ${sweepId} was cancelled`)
  })
  void worker.run()
  await worker.waitUntilReady()
  o.log({
    event: 'ready',
    worker: name,
    queue: o.queue,
    checkpoint: model.contentHash,
    provider: model.provider.name,
    concurrency: o.concurrency,
  })

  return {
    model,
    async close() {
      await worker.close() // waits for the running jobs; their results are stored before it resolves
      subscriber.disconnect()
      control.disconnect()
      workerRedis.disconnect()
      await workbench.dispose()
    },
  }
}

/** A job failure that no retry can fix: BullMQ fails the job at once. */
function fail(code: ErrorCode, message: string): never {
  throw new UnrecoverableError(tagged({ code, message }))
}

/** `error[code]: message`, the failed reason BullMQ stores; the submitter reads the code back. */
function tagged(e: ErrorInfo): string {
  return `error[${e.code}]: ${e.message}`
}

/** The dispatch, or an unrecoverable `cancelled` as soon as BullMQ aborts the job. */
function abortable<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return p
  return new Promise<T>((resolve, reject) => {
    const onAbort = () =>
      reject(new UnrecoverableError(tagged({ code: 'cancelled', message: String(signal.reason ?? 'the job was cancelled') })))
    if (signal.aborted) return onAbort()
    signal.addEventListener('abort', onAbort, { once: true })
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort))
  })
}
