import type { ErrorInfo } from '../../../shared/errors'
import type { HubDownloadDone, HubJobInfo, HubProgress } from '../../../shared/ipc/api-types'
import type { ApiClient } from '../lib/api-client'

/** A Hugging Face download started from the Model view, with its progress and outcome. */
export class HubState {
  #job = $state.raw<HubJobInfo | null>(null)
  #progress = $state.raw<HubProgress | null>(null)
  #done = $state.raw<HubDownloadDone | null>(null)
  #error = $state.raw<ErrorInfo | null>(null)
  readonly #client: ApiClient
  readonly #offs: (() => void)[]

  constructor(client: ApiClient) {
    this.#client = client
    this.#offs = [
      client.on('hub.progressed', ({ jobId, progress }) => {
        if (jobId === this.#job?.jobId) this.#progress = progress
      }),
      client.on('hub.finished', ({ jobId, result }) => {
        if (jobId !== this.#job?.jobId) return
        this.#job = null
        this.#progress = null
        if (result.ok) this.#done = result.value
        else this.#error = result.error
      }),
    ]
  }

  get job() {
    return this.#job
  }
  get progress() {
    return this.#progress
  }
  get done() {
    return this.#done
  }
  get error() {
    return this.#error
  }

  async download(repo: string, revision?: string): Promise<void> {
    this.#error = null
    this.#done = null
    const res = await this.#client.call('hub.download', { repo, ...(revision ? { revision } : {}), load: true })
    if (res.ok) this.#job = res.value
    else this.#error = res.error
  }

  async cancel(): Promise<void> {
    if (this.#job) await this.#client.call('hub.cancel', { jobId: this.#job.jobId })
  }

  /** Stops listening to the client's events (the view that made this state is gone). */
  dispose(): void {
    for (const off of this.#offs) off()
    this.#offs.length = 0
  }
}
