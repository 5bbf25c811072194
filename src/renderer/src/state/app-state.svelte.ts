import type { AppInfo, ModelInfo } from '../../../shared/ipc/api-types'
import type { ErrorInfo } from '../../../shared/errors'
import type { ApiClient } from '../lib/api-client'

/** What the whole app needs to know: the server's capabilities and the loaded model. */
export class AppState {
  #info = $state.raw<AppInfo | null>(null)
  #model = $state.raw<ModelInfo | null>(null)
  #progress = $state.raw<{ phase: string; done: number; total: number } | null>(null)
  #loading = $state(false)
  #error = $state.raw<ErrorInfo | null>(null)
  #recent = $state.raw<string[]>([])
  readonly client: ApiClient

  constructor(client: ApiClient) {
    this.client = client
    client.on('model.progressed', (p) => (this.#progress = p))
    client.on('model.loaded', ({ model }) => {
      this.#model = model
      this.#progress = null
      // loads started elsewhere (a Hub download with load, the native menu) are remembered too
      void this.#refreshRecent()
    })
    // a model.loaded sent while the browser's event stream was not yet (or no longer) open is
    // lost: re-read the state whenever it opens (a serve load finishing during page start-up)
    client.onConnected(() => void this.refresh())
  }

  get info() {
    return this.#info
  }
  get model() {
    return this.#model
  }
  get progress() {
    return this.#progress
  }
  get loading() {
    return this.#loading
  }
  get error() {
    return this.#error
  }
  /** checkpoint folders opened before, newest first */
  get recent() {
    return this.#recent
  }

  async refresh(): Promise<void> {
    const res = await this.client.call('app.info', {})
    if (res.ok) {
      this.#info = res.value
      this.#model = res.value.model
      this.#error = null
    } else this.#error = res.error
    await this.#refreshRecent()
  }

  async load(checkpoint?: string): Promise<void> {
    this.#loading = true
    this.#error = null
    const res = await this.client.call('model.load', checkpoint ? { checkpoint } : {})
    this.#loading = false
    if (res.ok) this.#model = res.value
    else this.#error = res.error
    await this.#refreshRecent()
  }

  async #refreshRecent(): Promise<void> {
    const recent = await this.client.call('model.recent', {})
    if (recent.ok) this.#recent = recent.value.checkpoints
  }
}
