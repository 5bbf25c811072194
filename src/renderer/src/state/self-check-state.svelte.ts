import type { ErrorInfo } from '../../../shared/errors'
import type { ParityCheckReport } from '../../../shared/ipc/api-types'
import type { ApiClient } from '../lib/api-client'

const RUN_ID = 'model-self-check'

/**
 * The Model view's parity self-check: one run at a time (a new run replaces the old one on the
 * main side too), progress from `run.progressed`, cancel; a run for an older model is dropped.
 */
export class SelfCheckState {
  #report = $state.raw<ParityCheckReport | null>(null)
  #error = $state.raw<ErrorInfo | null>(null)
  #running = $state(false)
  #progress = $state.raw<{ done: number; total: number; message?: string } | null>(null)
  #seq = 0
  readonly #client: ApiClient
  readonly #offs: (() => void)[]

  constructor(client: ApiClient) {
    this.#client = client
    // a new model makes the old verdict meaningless
    this.#offs = [
      client.on('model.loaded', () => this.reset()),
      client.on('run.progressed', (p) => {
        if (p.runId === RUN_ID && this.#running) this.#progress = { done: p.done, total: p.total, message: p.message }
      }),
    ]
  }

  get report() {
    return this.#report
  }
  get error() {
    return this.#error
  }
  get running() {
    return this.#running
  }
  /** steps done of the running check (engine pass, reading, senses, each layer, α, LM head) */
  get progress() {
    return this.#progress
  }

  reset(): void {
    this.#seq++
    this.#report = null
    this.#error = null
    this.#running = false
    this.#progress = null
  }

  async run(): Promise<void> {
    const seq = ++this.#seq
    this.#running = true
    this.#error = null
    this.#report = null
    this.#progress = null
    const res = await this.#client.call('model.selfCheck', { runId: RUN_ID })
    if (seq !== this.#seq) return
    this.#running = false
    this.#progress = null
    if (res.ok) this.#report = res.value
    else this.#error = res.error
  }

  async cancel(): Promise<void> {
    if (this.#running) await this.#client.call('run.cancel', { runId: RUN_ID })
  }

  /** Stops listening to the client's events (the view that made this state is gone). */
  dispose(): void {
    for (const off of this.#offs) off()
    this.#offs.length = 0
  }
}
