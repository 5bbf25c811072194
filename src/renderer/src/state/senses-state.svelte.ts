import type { ErrorInfo } from '../../../shared/errors'
import type { NeighboursResponse, ReverseResponse, SenseLookupResponse, TiesMode } from '../../../shared/ipc/api-types'
import type { WordPolicy } from '../../../shared/word-policy'
import type { ApiClient } from '../lib/api-client'
import { LatestRequest } from './latest-request.svelte'

/**
 * The sense atlas of one word, its nearest senses, and reverse lookups with progress. Looking up
 * another word clears the neighbours and the reverse lookup of the previous one: no result is
 * shown under a word it does not belong to.
 */
export class SensesState {
  readonly #lookup = new LatestRequest<SenseLookupResponse, string>()
  readonly #other = new LatestRequest<SenseLookupResponse, string>()
  readonly #neighbours = new LatestRequest<NeighboursResponse, string>()
  readonly #reverse = new LatestRequest<ReverseResponse, string | number>()
  #reverseProgress = $state.raw<{ done: number; total: number } | null>(null)
  #reverseRun: string | null = null
  readonly #client: ApiClient
  readonly #off: () => void
  /** tokens with bit-identical embedding rows: one labelled entry (default) or each shown; applies to the next lookups */
  ties = $state<TiesMode>('collapse')

  constructor(client: ApiClient) {
    this.#client = client
    this.#off = client.on('run.progressed', (p) => {
      if (p.runId === this.#reverseRun) this.#reverseProgress = { done: p.done, total: p.total }
    })
  }

  /** the request field for a non-default ties mode (the default is left to the server) */
  #ties(): { ties?: TiesMode } {
    return this.ties === 'show' ? { ties: 'show' } : {}
  }

  get lookup() {
    return this.#lookup.value
  }
  /** the second word of a side-by-side comparison */
  get other() {
    return this.#other.value
  }
  get neighbours() {
    return this.#neighbours.value
  }
  get reverse() {
    return this.#reverse.value
  }
  get reverseProgress() {
    return this.#reverseProgress
  }
  /** the latest error of any of the four requests */
  get error(): ErrorInfo | null {
    return this.#lookup.error ?? this.#other.error ?? this.#neighbours.error ?? this.#reverse.error
  }
  get loading() {
    return this.#lookup.busy
  }

  /** `policy`: how a multi-token word is handled (the server's default, first, when not given) */
  async look(word: string, topK = 10, policy?: WordPolicy): Promise<void> {
    if (word === '') return
    if (this.#lookup.about !== null && this.#lookup.about !== word) {
      // the neighbours and reverse lookup were asked under the previous word
      this.#neighbours.clear()
      this.#reverse.clear()
      this.#cancelReverseRun()
    }
    await this.#lookup.run(word, () => this.#client.call('senses.lookup', { ...(policy ? { word, topK, policy } : { word, topK }), ...this.#ties() }))
  }

  async lookOther(word: string, topK = 10, policy?: WordPolicy): Promise<void> {
    if (word === '') {
      this.#other.clear()
      return
    }
    await this.#other.run(word, () => this.#client.call('senses.lookup', { ...(policy ? { word, topK, policy } : { word, topK }), ...this.#ties() }))
  }

  /** `policy`: how a multi-token word is handled (the server's default, first, when not given) */
  async findNeighbours(word: string, sense: number | 'min', topK = 10, policy?: WordPolicy): Promise<void> {
    await this.#neighbours.run(word, () => this.#client.call('senses.neighbours', { ...(policy ? { word, sense, topK, policy } : { word, sense, topK }), ...this.#ties() }))
  }

  async findReverse(token: string | number, direction: 'boost' | 'suppress' = 'boost'): Promise<void> {
    const runId = `reverse-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`
    this.#reverseRun = runId
    this.#reverseProgress = { done: 0, total: 0 }
    const kept = await this.#reverse.run(token, () => this.#client.call('senses.reverse', { token, direction, runId, ...this.#ties() }))
    if (!kept || this.#reverseRun !== runId) return
    this.#reverseRun = null
    this.#reverseProgress = null
  }

  async cancelReverse(): Promise<void> {
    if (this.#reverseRun) await this.#client.call('run.cancel', { runId: this.#reverseRun })
  }

  #cancelReverseRun(): void {
    if (this.#reverseRun) void this.#client.call('run.cancel', { runId: this.#reverseRun })
    this.#reverseRun = null
    this.#reverseProgress = null
  }

  /** Stops listening to the client's events. */
  dispose(): void {
    this.#off()
  }
}
