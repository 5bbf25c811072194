import { Job, Queue } from 'bullmq'
import { Redis } from 'ioredis'
import { WorkbenchError } from '../../shared/errors'
import { boundedRedisOptions, checkRedis, redisError } from './redis-connection'
import { jobId, sweepKeys, type SweepJobData, type SweepJobResult, type SweepMeta } from './sweep-jobs'

/**
 * The submitting side's handle on a sweep queue: checked before use (typed errors for an
 * unreachable Redis or wrong credentials), with connections that give up instead of hanging.
 */
export type SweepJob = Job<SweepJobData, SweepJobResult>
export type JobState = 'completed' | 'failed' | 'active' | 'waiting' | 'delayed' | 'prioritized' | 'waiting-children' | 'unknown'

export class SweepQueue {
  readonly queue: Queue<SweepJobData, SweepJobResult>
  readonly name: string
  /** the connection the queue uses, also for the sweep's own keys */
  readonly redis: Redis
  readonly #url: string

  private constructor(url: string, name: string) {
    this.#url = url
    this.name = name
    this.redis = new Redis(boundedRedisOptions(url))
    this.redis.on('error', () => undefined) // every call below reports its own failure, typed
    this.queue = new Queue(name, { connection: this.redis })
    this.queue.on('error', () => undefined)
  }

  static async open(url: string, name: string): Promise<SweepQueue> {
    await checkRedis(url)
    return new SweepQueue(url, name)
  }

  /** Runs a Redis call, turning its failure into `queue`/`unauthorized`. */
  async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn()
    } catch (e) {
      throw redisError(e, this.#url, what)
    }
  }

  async meta(sweepId: string): Promise<SweepMeta> {
    const raw = await this.call('reading the sweep', () => this.redis.get(sweepKeys(this.name, sweepId).meta))
    if (!raw)
      throw new WorkbenchError(
        'not-found',
        `sweep ${sweepId} is not known on queue ${JSON.stringify(this.name)} (wrong --queue, or its jobs were removed)`,
      )
    return JSON.parse(raw) as SweepMeta
  }

  async isCancelled(sweepId: string): Promise<boolean> {
    return this.call('reading the sweep', async () => (await this.redis.exists(sweepKeys(this.name, sweepId).cancelled)) === 1)
  }

  /** The sweep's jobs (null where a job was removed) with their states, in index order. */
  async jobs(meta: SweepMeta, indexes?: number[]): Promise<{ index: number; job: SweepJob | null; state: JobState }[]> {
    const which = indexes ?? Array.from({ length: meta.jobs }, (_, i) => i)
    return this.call('reading job states', () =>
      Promise.all(
        which.map(async (index) => {
          // the state first: a job read before its state could miss a result that landed in between
          const state = (await this.queue.getJobState(jobId(meta.sweepId, index))) as JobState
          const job = (await Job.fromId(this.queue, jobId(meta.sweepId, index))) as SweepJob | undefined
          return { index, job: job ?? null, state: job ? state : 'unknown' }
        }),
      ),
    )
  }

  async close(): Promise<void> {
    await this.queue.close().catch(() => undefined)
    this.redis.disconnect()
  }
}

/** The error code a failed job's reason carries (`error[code]: …`), `internal` when it carries none. */
export function failedCode(reason: string | undefined): string {
  return /^error\[([a-z-]+)\]/.exec(reason ?? '')?.[1] ?? 'internal'
}
