import type { SenseEditDocument } from '../../../shared/edits/sense-edits'
import type { ErrorInfo } from '../../../shared/errors'
import type { PredictResponse } from '../../../shared/ipc/api-types'
import type { ApiClient } from '../lib/api-client'

/**
 * An edit's effect on one prompt: the unedited prediction (recomputed only when the prompt
 * changes) next to the edited one (recomputed on every edit change; the engine reuses α).
 */
export class EffectState {
  #baseline = $state.raw<PredictResponse | null>(null)
  #edited = $state.raw<PredictResponse | null>(null)
  #error = $state.raw<ErrorInfo | null>(null)
  #baselineText: string | null = null
  #seq = 0
  readonly #client: ApiClient

  constructor(client: ApiClient) {
    this.#client = client
  }

  get baseline() {
    return this.#baseline
  }
  get edited() {
    return this.#edited
  }
  get error() {
    return this.#error
  }

  async run(text: string, document: SenseEditDocument, topK = 10): Promise<void> {
    if (text === '') return
    const seq = ++this.#seq
    if (this.#baselineText !== text) {
      const base = await this.#client.call('predict.next', { text, topK })
      if (seq !== this.#seq) return
      if (!base.ok) {
        this.#error = base.error
        return
      }
      this.#baseline = base.value
      this.#baselineText = text
    }
    if (document.edits.length === 0) {
      this.#edited = null
      this.#error = null
      return
    }
    const res = await this.#client.call('predict.next', { text, topK, edits: document })
    if (seq !== this.#seq) return
    if (res.ok) {
      this.#edited = res.value
      this.#error = null
    } else this.#error = res.error
  }
}
