import { randomUUID } from 'node:crypto'
import { toErrorInfo, WorkbenchError, type Result } from '../../shared/errors'
import {
  downloadCheckpoint,
  type DownloadCheckpointOptions,
  type DownloadCheckpointResult,
  type HubDownloadProgress,
} from './download-checkpoint'

/**
 * Download jobs for the app (first-run screen, "Get stanfordnlp/backpack-gpt2"): start returns a
 * job id at once, progress arrives as events tagged with it, a job can be cancelled (its partial
 * file stays for the next start), and one repo@revision is never downloaded twice at a time.
 * Transports map this onto `hub.*` methods and a `hub.progressed` event.
 */
export type HubJobRequest = Omit<DownloadCheckpointOptions, 'signal' | 'onProgress'>

export type HubJobEvent =
  | { jobId: string; kind: 'progressed'; progress: HubDownloadProgress }
  | { jobId: string; kind: 'finished'; result: Result<DownloadCheckpointResult> }

export interface HubJob {
  jobId: string
  repo: string
  revision: string
  done: Promise<Result<DownloadCheckpointResult>>
}

export class HubDownloads {
  readonly #jobs = new Map<string, HubJob & { controller: AbortController }>()
  readonly #emit: (event: HubJobEvent) => void

  constructor(emit: (event: HubJobEvent) => void) {
    this.#emit = emit
  }

  /** The cached snapshot for repo@revision without any request, or null when something is missing. */
  async cached(request: Pick<HubJobRequest, 'repo' | 'revision' | 'files' | 'cacheDir' | 'env'>): Promise<DownloadCheckpointResult | null> {
    try {
      return await downloadCheckpoint({ ...request, offline: true })
    } catch (e) {
      if (e instanceof WorkbenchError && e.code === 'hub-offline') return null
      throw e
    }
  }

  start(request: HubJobRequest): HubJob {
    const revision = request.revision ?? 'main'
    const running = [...this.#jobs.values()].find((j) => j.repo === request.repo && j.revision === revision)
    if (running) return { jobId: running.jobId, repo: running.repo, revision, done: running.done }
    const jobId = randomUUID()
    const controller = new AbortController()
    const done = downloadCheckpoint({
      ...request,
      signal: controller.signal,
      onProgress: (progress) => this.#emit({ jobId, kind: 'progressed', progress }),
    }).then(
      (value): Result<DownloadCheckpointResult> => ({ ok: true, value }),
      (e: unknown): Result<DownloadCheckpointResult> => ({ ok: false, error: toErrorInfo(e) }),
    )
    const job = { jobId, repo: request.repo, revision, done, controller }
    this.#jobs.set(jobId, job)
    void done.then((result) => {
      this.#jobs.delete(jobId)
      this.#emit({ jobId, kind: 'finished', result })
    })
    return { jobId, repo: request.repo, revision, done }
  }

  /** Cancels a running job; false when no such job is running. */
  cancel(jobId: string): boolean {
    const job = this.#jobs.get(jobId)
    if (!job) return false
    job.controller.abort()
    return true
  }

  running(): { jobId: string; repo: string; revision: string }[] {
    return [...this.#jobs.values()].map(({ jobId, repo, revision }) => ({ jobId, repo, revision }))
  }
}
