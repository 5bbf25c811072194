import type { SenseEditDocument } from '../../../shared/edits/sense-edits'
import type { ErrorInfo } from '../../../shared/errors'
import type { GenderBiasView, KnowledgeEditView, TopicSuiteView } from '../../../shared/ipc/api-types'
import type { ApiClient } from '../lib/api-client'

export type SuiteName = 'genderBias' | 'knowledgeEdit' | 'topic'

/** The paper's suites (gender bias, knowledge edit, topic) on top of the current edits, with progress and cancel. */
export class SuitesState {
  #genderBias = $state.raw<GenderBiasView | null>(null)
  #knowledgeEdit = $state.raw<KnowledgeEditView | null>(null)
  #topic = $state.raw<TopicSuiteView | null>(null)
  #error = $state.raw<ErrorInfo | null>(null)
  #progress = $state.raw<{ done: number; total: number; message?: string } | null>(null)
  #running = $state<SuiteName | null>(null)
  #runId: string | null = null
  /** the edits each suite's result ran with */
  #ranWith = $state.raw<Partial<Record<SuiteName, SenseEditDocument>>>({})
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
  get knowledgeEdit() {
    return this.#knowledgeEdit
  }
  get topic() {
    return this.#topic
  }
  get error() {
    return this.#error
  }
  get progress() {
    return this.#progress
  }
  /** the edits the suite's result ran with */
  ranWith(name: SuiteName): SenseEditDocument | null {
    return this.#ranWith[name] ?? null
  }
  /** which suite runs now, or null */
  get running() {
    return this.#running
  }

  runGenderBias(edits: SenseEditDocument, options: { sense?: number; optimize: boolean }): Promise<void> {
    return this.#run('genderBias', edits, (runId) => this.#client.call('suites.genderBias', { ...options, ...withEdits(edits), runId }), (v) => (this.#genderBias = v))
  }

  runKnowledgeEdit(edits: SenseEditDocument): Promise<void> {
    return this.#run('knowledgeEdit', edits, (runId) => this.#client.call('suites.knowledgeEdit', { ...withEdits(edits), runId }), (v) => (this.#knowledgeEdit = v))
  }

  runTopic(edits: SenseEditDocument, options: { topics?: string[]; samples: number; maxNewTokens: number; seed: number }): Promise<void> {
    return this.#run('topic', edits, (runId) => this.#client.call('suites.topic', { ...options, ...withEdits(edits), runId }), (v) => (this.#topic = v))
  }

  async cancel(): Promise<void> {
    if (this.#runId) await this.#client.call('run.cancel', { runId: this.#runId })
  }

  async #run<T>(name: SuiteName, edits: SenseEditDocument, call: (runId: string) => Promise<{ ok: true; value: T } | { ok: false; error: ErrorInfo }>, keep: (v: T) => void): Promise<void> {
    const runId = `suite-${name}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`
    this.#runId = runId
    this.#running = name
    this.#progress = { done: 0, total: 0 }
    const res = await call(runId)
    if (this.#runId !== runId) return
    this.#runId = null
    this.#running = null
    this.#progress = null
    if (res.ok) {
      keep(res.value)
      this.#ranWith = { ...this.#ranWith, [name]: edits }
      this.#error = null
    } else this.#error = res.error
  }
}

function withEdits(edits: SenseEditDocument): { edits?: SenseEditDocument } {
  return edits.edits.length > 0 ? { edits } : {}
}
