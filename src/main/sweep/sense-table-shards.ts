import { WorkbenchError } from '../../shared/errors'
import type { BackpackConfig } from '../../shared/model/config'
import { ensureOnnxExport } from '../checkpoint/onnx/onnx-cache'
import type { BackpackEngine } from '../runtime/backpack-engine'
import { openSenseTable, senseTableDir, type SenseTable } from '../senses/sense-table'
import { JOB_ATTEMPTS, KEEP_S } from './submit-sweep'
import { jobId, newSweepId, sweepKeys, TABLE_ROWS_METHOD, type SweepJobData, type SweepMeta } from './sweep-jobs'
import { failedCode, type SweepQueue } from './sweep-queue'

/**
 * The whole-vocabulary sense table split across queue workers: each job computes the rows of a
 * range of token ids (the exact fp32 sense vectors and, for 'scores', each row's max and min
 * score over the vocabulary) on the worker's engine; the submitter then builds the table folder
 * with the same code as a local build, fed those rows instead of its own engine's — so the files
 * are the local build's, byte for byte.
 */
export { TABLE_ROWS_METHOD }

export interface TableRowsRequest {
  start: number
  count: number
  scores: boolean
}

/** Worker side: one range's rows, as base64 of float32 arrays (JSON-safe). */
export async function tableRows(engine: BackpackEngine, r: TableRowsRequest, signal?: AbortSignal): Promise<string> {
  const { vocabSize: V, numSenses: k } = engine.config
  if (!Number.isInteger(r.start) || !Number.isInteger(r.count) || r.start < 0 || r.count < 1 || r.start + r.count > V) {
    throw new WorkbenchError('bad-request', `sense table rows ${r.start}+${r.count} are outside the vocabulary [0, ${V})`)
  }
  const ids = Array.from({ length: r.count }, (_, i) => r.start + i)
  const vectors = await engine.senseVectors(ids, { signal }) // (count, sense, d_model)
  const extremes = r.scores ? await engine.scoreExtremes(vectors, r.count * k, { signal }) : null
  return JSON.stringify({
    start: r.start,
    count: r.count,
    vectors: b64(vectors),
    ...(extremes ? { max: b64(extremes.max), min: b64(extremes.min) } : {}),
  })
}

export interface ShardedTableOptions {
  checkpointDir: string
  need?: 'senses' | 'scores'
  /** the table's chunk size (as the local build's); each job covers `chunksPerJob` chunks */
  chunkTokens?: number
  chunksPerJob?: number
  /** the table folder (default: the checkpoint's in the cache, where a local build puts it) */
  dir?: string
  onProgress?: (p: { done: number; failed: number; jobs: number }) => void
  pollMs?: number
  /** stop waiting after this long with a `queue` error (the jobs go on); default: as long as jobs are pending */
  timeoutMs?: number
}

/** Submitter side: splits the table into jobs, waits for them, and builds the folder from their rows. */
export async function buildSenseTableOnWorkers(
  q: SweepQueue,
  o: ShardedTableOptions,
): Promise<{ table: SenseTable; sweepId: string; jobs: number }> {
  const { manifest } = await ensureOnnxExport(o.checkpointDir)
  const config = manifest.config as BackpackConfig
  const { vocabSize: V, numSenses: k, nEmbd: d } = config
  const chunk = o.chunkTokens ?? 1024
  const span = chunk * (o.chunksPerJob ?? Math.max(1, Math.floor(8192 / chunk)))
  const scores = o.need === 'scores'
  const ranges = Array.from({ length: Math.ceil(V / span) }, (_, i) => ({ start: i * span, count: Math.min(span, V - i * span), scores }))
  const sweepId = newSweepId()
  const meta: SweepMeta = {
    sweepId,
    name: `sense table ${manifest.contentHash.slice(0, 12)}`,
    jobs: ranges.length,
    checkpointHash: manifest.contentHash,
    createdAt: Date.now(),
  }
  await q.call('recording the sweep', () => q.redis.set(sweepKeys(q.name, sweepId).meta, JSON.stringify(meta), 'EX', KEEP_S))
  const jobs = ranges.map((request, index) => {
    const data: SweepJobData = { sweepId, index, method: TABLE_ROWS_METHOD, request: { ...request }, checkpointHash: manifest.contentHash }
    return {
      name: TABLE_ROWS_METHOD,
      data,
      opts: {
        jobId: jobId(sweepId, index),
        attempts: JOB_ATTEMPTS,
        backoff: { type: 'fixed' as const, delay: 1000 },
        removeOnComplete: { age: 3600 },
        removeOnFail: { age: KEEP_S },
      },
    }
  })
  await q.call('submitting jobs', () => q.queue.addBulk(jobs))

  const vectors = new Float32Array(V * k * d) // (vocab, sense, d_model)
  const max = new Float32Array(V * k)
  const min = new Float32Array(V * k)
  const pending = new Set(ranges.map((_, i) => i))
  const deadline = o.timeoutMs === undefined ? Infinity : Date.now() + o.timeoutMs
  while (pending.size > 0) {
    if (Date.now() > deadline)
      throw new WorkbenchError(
        'queue',
        `sense table sweep ${sweepId}: ${pending.size} of ${ranges.length} jobs unfinished when the wait ran out (are workers serving this checkpoint on queue ${JSON.stringify(q.name)}?)`,
      )
    for (const { index, job, state } of await q.jobs(meta, [...pending])) {
      if (state === 'completed' && job) {
        const rows = JSON.parse(job.returnvalue.rows!) as { start: number; count: number; vectors: string; max?: string; min?: string }
        vectors.set(unb64(rows.vectors), rows.start * k * d)
        if (scores) {
          max.set(unb64(rows.max!), rows.start * k)
          min.set(unb64(rows.min!), rows.start * k)
        }
        pending.delete(index)
      } else if (state === 'failed' || !job) {
        const code = failedCode(job?.failedReason)
        throw new WorkbenchError(
          code as never,
          `sense table job ${index} (tokens ${ranges[index].start}…) failed: ${job?.failedReason ?? 'removed from the queue'}`,
        )
      }
    }
    o.onProgress?.({ done: ranges.length - pending.size, failed: 0, jobs: ranges.length })
    if (pending.size > 0) await new Promise((r) => setTimeout(r, o.pollMs ?? 250))
  }

  // the local build's code, fed the workers' rows: senseVectors and scoreExtremes answer from them
  const stride = k * d
  const remote = {
    config,
    contentHash: manifest.contentHash,
    senseVectors: async (ids: readonly number[]) => {
      if (ids.some((id, i) => id !== ids[0] + i))
        throw new WorkbenchError('internal', 'the sharded sense table is read in contiguous ranges')
      return vectors.subarray(ids[0] * stride, (ids[0] + ids.length) * stride)
    },
    // called with a range's vectors (ours, or the table's own fp32 copy): its first token is where the view starts
    scoreExtremes: async (rows: Float32Array, n: number) => {
      const start = ((rows.byteOffset / 4) * k) / stride
      if (!Number.isInteger(start)) throw new WorkbenchError('internal', 'sense table scores asked for rows not aligned to a token')
      return { max: max.slice(start, start + n), min: min.slice(start, start + n) }
    },
  } as unknown as BackpackEngine
  const table = await openSenseTable(remote, { dir: o.dir ?? senseTableDir(remote), need: o.need, chunkTokens: o.chunkTokens })
  return { table, sweepId, jobs: ranges.length }
}

function b64(a: Float32Array): string {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64')
}

function unb64(s: string): Float32Array {
  const b = Buffer.from(s, 'base64')
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer)
}
