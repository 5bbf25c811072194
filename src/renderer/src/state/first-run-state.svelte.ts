import type { ErrorInfo } from '../../../shared/errors'
import type { HubProgress } from '../../../shared/ipc/api-types'
import type { ApiClient } from '../lib/api-client'
import type { AppState } from './app-state.svelte'

/** The full model the first-run action fetches, and its download size as shown on the button. */
export const FULL_MODEL = { repo: 'stanfordnlp/backpack-gpt2', sizeLabel: '684 MB' } as const

export type FirstRunPhase = 'idle' | 'downloading' | 'loading' | 'done' | 'failed'

/**
 * "Get the full model" while the bundled demo is loaded: downloads the Hub snapshot
 * (`hub.download` with load: false, progress from `hub.progressed`), then loads it through
 * `AppState.load`, so conversion progress, errors and the recent list follow the normal path.
 */
export class FirstRunState {
  #phase = $state<FirstRunPhase>('idle')
  #progress = $state.raw<HubProgress | null>(null)
  #error = $state.raw<ErrorInfo | null>(null)
  #jobId: string | null = null
  readonly #app: AppState
  readonly #client: ApiClient
  readonly #offs: (() => void)[]

  constructor(app: AppState) {
    this.#app = app
    this.#client = app.client
    this.#offs = [
      this.#client.on('hub.progressed', ({ jobId, progress }) => {
        if (jobId === this.#jobId) this.#progress = progress
      }),
      this.#client.on('hub.finished', ({ jobId, result }) => {
        if (jobId !== this.#jobId) return
        this.#jobId = null
        this.#progress = null
        if (result.ok) void this.#load(result.value.snapshot)
        else this.#fail(result.error)
      }),
    ]
  }

  get phase() {
    return this.#phase
  }
  get progress() {
    return this.#progress
  }
  get error() {
    return this.#error
  }
  get busy() {
    return this.#phase === 'downloading' || this.#phase === 'loading'
  }

  async start(): Promise<void> {
    if (this.busy) return
    this.#error = null
    this.#progress = null
    this.#phase = 'downloading'
    const res = await this.#client.call('hub.download', { repo: FULL_MODEL.repo, load: false })
    if (res.ok) this.#jobId = res.value.jobId
    else this.#fail(res.error)
  }

  async cancel(): Promise<void> {
    if (this.#jobId) await this.#client.call('hub.cancel', { jobId: this.#jobId })
  }

  async #load(snapshot: string): Promise<void> {
    this.#phase = 'loading'
    await this.#app.load(snapshot)
    if (this.#app.error) this.#fail(this.#app.error)
    else this.#phase = 'done'
  }

  #fail(error: ErrorInfo): void {
    this.#error = error
    this.#phase = 'failed'
  }

  /** Stops listening to the client's events (the view that made this state is gone). */
  dispose(): void {
    for (const off of this.#offs) off()
    this.#offs.length = 0
  }
}
