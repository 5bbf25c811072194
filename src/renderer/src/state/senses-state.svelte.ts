import type { ErrorInfo } from '../../../shared/errors'
import type { NeighboursResponse, ReverseResponse, SenseLookupResponse } from '../../../shared/ipc/api-types'
import type { WordPolicy } from '../../../shared/word-policy'
import type { ApiClient } from '../lib/api-client'

/** The sense atlas of one word, its nearest senses, and reverse lookups with progress. */
export class SensesState {
  #lookup = $state.raw<SenseLookupResponse | null>(null)
  #other = $state.raw<SenseLookupResponse | null>(null)
  #neighbours = $state.raw<NeighboursResponse | null>(null)
  #reverse = $state.raw<ReverseResponse | null>(null)
  #reverseProgress = $state.raw<{ done: number; total: number } | null>(null)
  #error = $state.raw<ErrorInfo | null>(null)
  #loading = $state(false)
  #seq = 0
  #reverseRun: string | null = null
  readonly #client: ApiClient

  constructor(client: ApiClient) {
    this.#client = client
    client.on('run.progressed', (p) => {
      if (p.runId === this.#reverseRun) this.#reverseProgress = { done: p.done, total: p.total }
    })
  }

  get lookup() {
    return this.#lookup
  }
  /** the second word of a side-by-side comparison */
  get other() {
    return this.#other
  }
  get neighbours() {
    return this.#neighbours
  }
  get reverse() {
    return this.#reverse
  }
  get reverseProgress() {
    return this.#reverseProgress
  }
  get error() {
    return this.#error
  }
  get loading() {
    return this.#loading
  }

  /** `policy`: how a multi-token word is handled (the server's default, first, when not given) */
  async look(word: string, topK = 10, policy?: WordPolicy): Promise<void> {
    if (word === '') return
    const seq = ++this.#seq
    this.#loading = true
    const res = await this.#client.call('senses.lookup', policy ? { word, topK, policy } : { word, topK })
    if (seq !== this.#seq) return
    this.#loading = false
    if (res.ok) {
      this.#lookup = res.value
      this.#error = null
    } else {
      this.#lookup = null
      this.#error = res.error
    }
  }

  async lookOther(word: string, topK = 10, policy?: WordPolicy): Promise<void> {
    if (word === '') {
      this.#other = null
      return
    }
    const res = await this.#client.call('senses.lookup', policy ? { word, topK, policy } : { word, topK })
    if (res.ok) this.#other = res.value
    else this.#error = res.error
  }

  /** `policy`: how a multi-token word is handled (the server's default, first, when not given) */
  async findNeighbours(word: string, sense: number | 'min', topK = 10, policy?: WordPolicy): Promise<void> {
    const res = await this.#client.call('senses.neighbours', policy ? { word, sense, topK, policy } : { word, sense, topK })
    if (res.ok) this.#neighbours = res.value
    else this.#error = res.error
  }

  async findReverse(token: string | number, direction: 'boost' | 'suppress' = 'boost'): Promise<void> {
    const runId = `reverse-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`
    this.#reverseRun = runId
    this.#reverseProgress = { done: 0, total: 0 }
    const res = await this.#client.call('senses.reverse', { token, direction, runId })
    if (this.#reverseRun !== runId) return
    this.#reverseRun = null
    this.#reverseProgress = null
    if (res.ok) this.#reverse = res.value
    else this.#error = res.error
  }

  async cancelReverse(): Promise<void> {
    if (this.#reverseRun) await this.#client.call('run.cancel', { runId: this.#reverseRun })
  }
}
