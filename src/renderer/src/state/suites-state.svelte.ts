import type { SenseEditDocument } from '../../../shared/edits/sense-edits'
import type { ErrorInfo, Result } from '../../../shared/errors'
import type { ApiRequest } from '../../../shared/ipc/api'
import type { GenderBiasView, KnowledgeEditView, TopicSuiteView } from '../../../shared/ipc/api-types'
import type { ApiClient } from '../lib/api-client'
import { LatestRequest } from './latest-request.svelte'

export type SuiteName = 'genderBias' | 'knowledgeEdit' | 'topic'

/** The API method of each suite. */
export const SUITE_METHODS = { genderBias: 'suites.genderBias', knowledgeEdit: 'suites.knowledgeEdit', topic: 'suites.topic' } as const

/** What a suite's result answers: the exact request (without its progress id) and the edits document it ran with. */
export interface SuiteAbout<N extends SuiteName> {
  request: ApiRequest<(typeof SUITE_METHODS)[N]>
  edits: SenseEditDocument
}

/** The paper's suites (gender bias, knowledge edit, topic) on top of the current edits, with progress and cancel. */
export class SuitesState {
  readonly #genderBias = new LatestRequest<GenderBiasView, SuiteAbout<'genderBias'>>()
  readonly #knowledgeEdit = new LatestRequest<KnowledgeEditView, SuiteAbout<'knowledgeEdit'>>()
  readonly #topic = new LatestRequest<TopicSuiteView, SuiteAbout<'topic'>>()
  #progress = $state.raw<{ done: number; total: number; message?: string } | null>(null)
  #running = $state<SuiteName | null>(null)
  #runId: string | null = null
  readonly #client: ApiClient
  readonly #off: () => void

  constructor(client: ApiClient) {
    this.#client = client
    this.#off = client.on('run.progressed', (p) => {
      if (p.runId === this.#runId) this.#progress = { done: p.done, total: p.total, message: p.message }
    })
  }

  get genderBias() {
    return this.#genderBias.value
  }
  get knowledgeEdit() {
    return this.#knowledgeEdit.value
  }
  get topic() {
    return this.#topic.value
  }
  /** the latest error of one suite (cleared by its next answer) */
  errorOf(name: SuiteName): ErrorInfo | null {
    return this.#latest(name).error
  }
  get progress() {
    return this.#progress
  }
  /** the edits the suite's result ran with */
  ranWith(name: SuiteName): SenseEditDocument | null {
    return this.#latest(name).about?.edits ?? null
  }
  /** the exact request the suite's result (or error) answers */
  requestOf<N extends SuiteName>(name: N): SuiteAbout<N>['request'] | null {
    return (this.#latest(name).about?.request as SuiteAbout<N>['request'] | undefined) ?? null
  }
  /** which suite runs now, or null */
  get running() {
    return this.#running
  }

  runGenderBias(edits: SenseEditDocument, options: { sense?: number; optimize: boolean }): Promise<void> {
    const request: ApiRequest<'suites.genderBias'> = { ...options, ...withEdits(edits) }
    return this.#run(this.#genderBias, 'genderBias', { request, edits }, (runId) =>
      this.#client.call('suites.genderBias', { ...request, runId }),
    )
  }

  runKnowledgeEdit(edits: SenseEditDocument): Promise<void> {
    const request: ApiRequest<'suites.knowledgeEdit'> = withEdits(edits)
    return this.#run(this.#knowledgeEdit, 'knowledgeEdit', { request, edits }, (runId) =>
      this.#client.call('suites.knowledgeEdit', { ...request, runId }),
    )
  }

  runTopic(edits: SenseEditDocument, options: { topics?: string[]; samples: number; maxNewTokens: number; seed: number }): Promise<void> {
    const request: ApiRequest<'suites.topic'> = { ...options, ...withEdits(edits) }
    return this.#run(this.#topic, 'topic', { request, edits }, (runId) => this.#client.call('suites.topic', { ...request, runId }))
  }

  async cancel(): Promise<void> {
    if (this.#runId) await this.#client.call('run.cancel', { runId: this.#runId })
  }

  /** Stops listening to the client's events. */
  dispose(): void {
    this.#off()
  }

  #latest(name: SuiteName): LatestRequest<unknown, SuiteAbout<SuiteName>> {
    return (name === 'genderBias' ? this.#genderBias : name === 'knowledgeEdit' ? this.#knowledgeEdit : this.#topic) as LatestRequest<
      unknown,
      SuiteAbout<SuiteName>
    >
  }

  async #run<T, N extends SuiteName>(
    latest: LatestRequest<T, SuiteAbout<N>>,
    name: N,
    about: SuiteAbout<N>,
    call: (runId: string) => Promise<Result<T>>,
  ): Promise<void> {
    const runId = `suite-${name}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`
    this.#runId = runId
    this.#running = name
    this.#progress = { done: 0, total: 0 }
    const kept = await latest.run(about, () => call(runId))
    if (!kept || this.#runId !== runId) return
    this.#runId = null
    this.#running = null
    this.#progress = null
  }
}

function withEdits(edits: SenseEditDocument): { edits?: SenseEditDocument } {
  return edits.edits.length > 0 ? { edits } : {}
}
