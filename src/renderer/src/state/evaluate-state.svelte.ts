import type { SenseEditDocument } from '../../../shared/edits/sense-edits'
import type { ApiRequest } from '../../../shared/ipc/api'
import type { EvaluateResponse } from '../../../shared/ipc/api-types'
import type { ApiClient } from '../lib/api-client'
import { LatestRequest } from './latest-request.svelte'

export interface EvalDocument {
  name: string
  text: string
}

/** What an evaluation answers: the exact request (without its progress id) and the edits document it ran with. */
export interface EvaluationAbout {
  request: ApiRequest<'evaluate.run'>
  edits: SenseEditDocument
}

/**
 * Corpus evaluation: the documents to score (pasted text or .txt files) and their per-document
 * and pooled log-probs and perplexity under the current edits (`evaluate.run`).
 */
export class EvaluateState {
  #documents = $state.raw<EvalDocument[]>([])
  readonly #latest = new LatestRequest<EvaluateResponse, EvaluationAbout>()
  #progress = $state.raw<{ done: number; total: number } | null>(null)
  #runId: string | null = null
  readonly #client: ApiClient
  readonly #off: () => void

  constructor(client: ApiClient) {
    this.#client = client
    this.#off = client.on('run.progressed', (p) => {
      if (p.runId === this.#runId) this.#progress = { done: p.done, total: p.total }
    })
  }

  get documents() {
    return this.#documents
  }
  get result() {
    return this.#latest.value
  }
  get about() {
    return this.#latest.about
  }
  get error() {
    return this.#latest.error
  }
  get running() {
    return this.#latest.busy
  }
  get progress() {
    return this.#progress
  }

  /** Adds a document; a name already taken gets a number (" (2)") so rows stay distinguishable. */
  add(name: string, text: string): void {
    const taken = this.#documents.map((d) => d.name)
    let unique = name
    for (let i = 2; taken.includes(unique); i++) unique = `${name} (${i})`
    this.#documents = [...this.#documents, { name: unique, text }]
  }

  /** Adds each file as a document named after it (its text read as UTF-8). */
  async addFiles(files: Iterable<File>): Promise<void> {
    for (const f of files) this.add(f.name, await f.text())
  }

  remove(index: number): void {
    this.#documents = this.#documents.filter((_, i) => i !== index)
  }

  async run(edits: SenseEditDocument): Promise<void> {
    if (this.#documents.length === 0) return
    const runId = `evaluate-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`
    this.#runId = runId
    this.#progress = { done: 0, total: 0 }
    const request: ApiRequest<'evaluate.run'> = { documents: this.#documents, ...(edits.edits.length > 0 ? { edits } : {}) }
    const kept = await this.#latest.run({ request, edits }, () => this.#client.call('evaluate.run', { ...request, runId }))
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
