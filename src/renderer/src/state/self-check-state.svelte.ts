import type { ErrorInfo } from '../../../shared/errors'
import type { ParityCheckReport } from '../../../shared/ipc/api-types'
import type { ApiClient } from '../lib/api-client'

/** The Model view's parity self-check: one run at a time; a run for an older model is dropped. */
export class SelfCheckState {
  #report = $state.raw<ParityCheckReport | null>(null)
  #error = $state.raw<ErrorInfo | null>(null)
  #running = $state(false)
  #seq = 0
  readonly #client: ApiClient

  constructor(client: ApiClient) {
    this.#client = client
    // a new model makes the old verdict meaningless
    client.on('model.loaded', () => this.reset())
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

  reset(): void {
    this.#seq++
    this.#report = null
    this.#error = null
    this.#running = false
  }

  async run(): Promise<void> {
    const seq = ++this.#seq
    this.#running = true
    this.#error = null
    this.#report = null
    const res = await this.#client.call('model.selfCheck', { runId: 'model-self-check' })
    if (seq !== this.#seq) return
    this.#running = false
    if (res.ok) this.#report = res.value
    else this.#error = res.error
  }
}
