import type { SenseEditDocument } from '../../../shared/edits/sense-edits'
import type { ErrorInfo } from '../../../shared/errors'
import type { GenerateResponse } from '../../../shared/ipc/api-types'
import type { ApiClient } from '../lib/api-client'

export interface GenerateSettings {
  maxNewTokens: number
  strategy: 'greedy' | 'sample'
  temperature: number
  topK: number | null
  topP: number | null
  seed: number
}

/** Baseline vs edited continuations of the prompt with the same settings and seed. */
export class GenerateState {
  #result = $state.raw<GenerateResponse | null>(null)
  #error = $state.raw<ErrorInfo | null>(null)
  #progress = $state.raw<{ done: number; total: number } | null>(null)
  #runId: string | null = null
  /** the prompt and edits the result was generated from */
  #about = $state.raw<{ text: string; edits: SenseEditDocument } | null>(null)
  settings = $state<GenerateSettings>({ maxNewTokens: 32, strategy: 'greedy', temperature: 1, topK: null, topP: null, seed: 0 })
  readonly #client: ApiClient

  constructor(client: ApiClient) {
    this.#client = client
    client.on('run.progressed', (p) => {
      if (p.runId === this.#runId) this.#progress = { done: p.done, total: p.total }
    })
  }

  get result() {
    return this.#result
  }
  /** the prompt and edits the result belongs to */
  get about() {
    return this.#about
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

  async run(text: string, edits: SenseEditDocument): Promise<void> {
    const runId = `generate-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`
    this.#runId = runId
    this.#progress = { done: 0, total: 0 }
    const s = this.settings
    const sampling = s.strategy === 'sample' ? { temperature: s.temperature, seed: s.seed, ...(s.topK ? { topK: s.topK } : {}), ...(s.topP ? { topP: s.topP } : {}) } : {}
    const res = await this.#client.call('generate.run', {
      text,
      maxNewTokens: s.maxNewTokens,
      strategy: s.strategy,
      ...sampling,
      ...(edits.edits.length > 0 ? { edits } : {}),
      runId,
    })
    if (this.#runId !== runId) return
    this.#runId = null
    this.#progress = null
    if (res.ok) {
      this.#result = res.value
      this.#about = { text, edits }
      this.#error = null
    } else this.#error = res.error
  }

  async cancel(): Promise<void> {
    if (this.#runId) await this.#client.call('run.cancel', { runId: this.#runId })
  }
}
