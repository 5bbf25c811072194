import type { ErrorInfo } from '../../../shared/errors'
import type { ApiRequest } from '../../../shared/ipc/api'
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
  readonly #lookup = new LatestRequest<SenseLookupResponse, ApiRequest<'senses.lookup'>>()
  readonly #other = new LatestRequest<SenseLookupResponse, ApiRequest<'senses.lookup'>>()
  readonly #neighbours = new LatestRequest<NeighboursResponse, ApiRequest<'senses.neighbours'>>()
  /** about: the request without its progress id */
  readonly #reverse = new LatestRequest<ReverseResponse, ApiRequest<'senses.reverse'>>()
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
  /** the exact requests the shown results answer (what a saved run records) */
  get lookupRequest() {
    return this.#lookup.about
  }
  get neighboursRequest() {
    return this.#neighbours.about
  }
  get reverseRequest() {
    return this.#reverse.about
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
    if (this.#lookup.about !== null && this.#lookup.about.word !== word) {
      // the neighbours and reverse lookup were asked under the previous word
      this.#neighbours.clear()
      this.#reverse.clear()
      this.#cancelReverseRun()
    }
    const request: ApiRequest<'senses.lookup'> = { ...(policy ? { word, topK, policy } : { word, topK }), ...this.#ties() }
    await this.#lookup.run(request, () => this.#client.call('senses.lookup', request))
  }

  async lookOther(word: string, topK = 10, policy?: WordPolicy): Promise<void> {
    if (word === '') {
      this.#other.clear()
      return
    }
    const request: ApiRequest<'senses.lookup'> = { ...(policy ? { word, topK, policy } : { word, topK }), ...this.#ties() }
    await this.#other.run(request, () => this.#client.call('senses.lookup', request))
  }

  /** `policy`: how a multi-token word is handled (the server's default, first, when not given) */
  async findNeighbours(word: string, sense: number | 'min', topK = 10, policy?: WordPolicy): Promise<void> {
    const request: ApiRequest<'senses.neighbours'> = {
      ...(policy ? { word, sense, topK, policy } : { word, sense, topK }),
      ...this.#ties(),
    }
    await this.#neighbours.run(request, () => this.#client.call('senses.neighbours', request))
  }

  async findReverse(token: string | number, direction: 'boost' | 'suppress' = 'boost'): Promise<void> {
    const runId = `reverse-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`
    this.#reverseRun = runId
    this.#reverseProgress = { done: 0, total: 0 }
    const request: ApiRequest<'senses.reverse'> = { token, direction, ...this.#ties() }
    const kept = await this.#reverse.run(request, () => this.#client.call('senses.reverse', { ...request, runId }))
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
