import type { SenseEditDocument } from '../../../shared/edits/sense-edits'
import type { ApiRequest } from '../../../shared/ipc/api'
import type { GenerateResponse } from '../../../shared/ipc/api-types'
import type { ApiClient } from '../lib/api-client'
import { LatestRequest } from './latest-request.svelte'

export interface GenerateSettings {
  maxNewTokens: number
  strategy: 'greedy' | 'sample'
  temperature: number
  topK: number | null
  topP: number | null
  seed: number
}

/** The prompt and edits document a generation ran with. */
export interface GenerationAbout {
  text: string
  edits: SenseEditDocument
}

/** Baseline vs edited continuations of the prompt with the same settings and seed. */
export class GenerateState {
  /** about: what the result belongs to, and the exact request (without its progress id) */
  readonly #latest = new LatestRequest<GenerateResponse, { about: GenerationAbout; request: ApiRequest<'generate.run'> }>()
  #progress = $state.raw<{ done: number; total: number } | null>(null)
  #runId: string | null = null
  settings = $state<GenerateSettings>({ maxNewTokens: 32, strategy: 'greedy', temperature: 1, topK: null, topP: null, seed: 0 })
  readonly #client: ApiClient
  readonly #off: () => void

  constructor(client: ApiClient) {
    this.#client = client
    this.#off = client.on('run.progressed', (p) => {
      if (p.runId === this.#runId) this.#progress = { done: p.done, total: p.total }
    })
  }

  get result() {
    return this.#latest.value
  }
  /** the prompt and edits the result belongs to */
  get about(): GenerationAbout | null {
    return this.#latest.about?.about ?? null
  }
  /** the exact generate.run request the result (or error) answers, without its progress id */
  get request(): ApiRequest<'generate.run'> | null {
    return this.#latest.about?.request ?? null
  }
  get error() {
    return this.#latest.error
  }
  get progress() {
    return this.#progress
  }
  get running() {
    return this.#latest.busy
  }

  async run(text: string, edits: SenseEditDocument): Promise<void> {
    const runId = `generate-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`
    this.#runId = runId
    this.#progress = { done: 0, total: 0 }
    const s = this.settings
    const sampling =
      s.strategy === 'sample'
        ? { temperature: s.temperature, seed: s.seed, ...(s.topK ? { topK: s.topK } : {}), ...(s.topP ? { topP: s.topP } : {}) }
        : {}
    const request: ApiRequest<'generate.run'> = {
      text,
      maxNewTokens: s.maxNewTokens,
      strategy: s.strategy,
      ...sampling,
      ...(edits.edits.length > 0 ? { edits } : {}),
    }
    const kept = await this.#latest.run({ about: { text, edits }, request }, () => this.#client.call('generate.run', { ...request, runId }))
    if (!kept) return
    this.#runId = null
    this.#progress = null
  }

  async cancel(): Promise<void> {
    if (this.#runId) await this.#client.call('run.cancel', { runId: this.#runId })
  }

  /** Stops listening to the client's events. */
  dispose(): void {
    this.#off()
  }
}
