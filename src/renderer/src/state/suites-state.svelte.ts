import type { SenseEditDocument } from '../../../shared/edits/sense-edits'
import type { ErrorInfo } from '../../../shared/errors'
import type { GenderBiasView } from '../../../shared/ipc/api-types'
import type { ApiClient } from '../lib/api-client'

/** The gender-bias suite (paper §6.2) on top of the current edits, with progress and cancel. */
export class SuitesState {
  #genderBias = $state.raw<GenderBiasView | null>(null)
  #error = $state.raw<ErrorInfo | null>(null)
  #progress = $state.raw<{ done: number; total: number; message?: string } | null>(null)
  #runId: string | null = null
  readonly #client: ApiClient

  constructor(client: ApiClient) {
    this.#client = client
    client.on('run.progressed', (p) => {
      if (p.runId === this.#runId) this.#progress = { done: p.done, total: p.total, message: p.message }
    })
  }

  get genderBias() {
    return this.#genderBias
  }
  get error() {
    return this.#error
  }
  get progress() {
    return this.#progress
  }
  get running() {
    return this.#runId !== null
  }

  async runGenderBias(edits: SenseEditDocument, options: { sense?: number; optimize: boolean }): Promise<void> {
    const runId = `suite-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`
    this.#runId = runId
    this.#progress = { done: 0, total: 0 }
    const res = await this.#client.call('suites.genderBias', { ...options, ...(edits.edits.length > 0 ? { edits } : {}), runId })
    if (this.#runId !== runId) return
    this.#runId = null
    this.#progress = null
    if (res.ok) {
      this.#genderBias = res.value
      this.#error = null
    } else this.#error = res.error
  }

  async cancel(): Promise<void> {
    if (this.#runId) await this.#client.call('run.cancel', { runId: this.#runId })
  }
}
