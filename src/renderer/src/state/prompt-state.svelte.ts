import type { SenseEditDocument } from '../../../shared/edits/sense-edits'
import type { ErrorInfo } from '../../../shared/errors'
import type { AttributeResponse, PredictResponse, PromptToken } from '../../../shared/ipc/api-types'
import type { ApiClient } from '../lib/api-client'

/**
 * The prompt under study: live tokenisation, the model's prediction (with the current edits, if
 * any) and the exact attribution of one chosen logit. Responses to stale requests are dropped.
 */
export class PromptState {
  #text = $state('')
  #tokens = $state.raw<PromptToken[]>([])
  #prediction = $state.raw<PredictResponse | null>(null)
  #attribution = $state.raw<AttributeResponse | null>(null)
  #error = $state.raw<ErrorInfo | null>(null)
  #busy = $state(false)
  #seq = 0
  #predictSeq = 0
  readonly #client: ApiClient
  topK = $state(10)

  constructor(client: ApiClient) {
    this.#client = client
  }

  get text() {
    return this.#text
  }
  get tokens() {
    return this.#tokens
  }
  get prediction() {
    return this.#prediction
  }
  get attribution() {
    return this.#attribution
  }
  get error() {
    return this.#error
  }
  get busy() {
    return this.#busy
  }

  /** Sets the prompt and re-tokenises it (cheap; called on every keystroke). */
  async setText(text: string): Promise<void> {
    if (text !== this.#text) this.#attribution = null // it explained a logit of the old prompt
    this.#text = text
    const seq = ++this.#seq
    if (text === '') {
      this.#tokens = []
      return
    }
    const res = await this.#client.call('tokens.encode', { text })
    if (seq !== this.#seq) return
    if (res.ok) this.#tokens = res.value.tokens
    else this.#error = res.error
  }

  /** Runs the model on the prompt with these edits (none: the unedited model). */
  async predict(edits?: SenseEditDocument): Promise<void> {
    if (this.#text === '') return
    const seq = ++this.#predictSeq
    this.#busy = true
    const hasEdits = edits !== undefined && edits.edits.length > 0
    const res = await this.#client.call('predict.next', { text: this.#text, topK: this.topK, ...(hasEdits ? { edits } : {}) })
    if (seq !== this.#predictSeq) return
    this.#busy = false
    if (res.ok) {
      this.#prediction = res.value
      this.#error = null
    } else this.#error = res.error
  }

  /**
   * Exact attribution of the logit that position `position` gives to `target` (a token id),
   * i.e. why the model predicted `target` after the prompt's first position+1 tokens.
   */
  async attribute(position: number, target: number, edits?: SenseEditDocument): Promise<void> {
    const hasEdits = edits !== undefined && edits.edits.length > 0
    const res = await this.#client.call('predict.attribute', { text: this.#text, position, target, ...(hasEdits ? { edits } : {}) })
    if (res.ok) {
      this.#attribution = res.value
      this.#error = null
    } else this.#error = res.error
  }

  clearAttribution(): void {
    this.#attribution = null
  }
}
