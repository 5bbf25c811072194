import type { SenseEditDocument } from '../../../shared/edits/sense-edits'
import type { ErrorInfo } from '../../../shared/errors'
import type { ApiRequest } from '../../../shared/ipc/api'
import type { AttributeResponse, PredictResponse, PromptToken } from '../../../shared/ipc/api-types'
import type { ApiClient } from '../lib/api-client'
import { LatestRequest } from './latest-request.svelte'

/**
 * The prompt under study: live tokenisation, the model's prediction (with the current edits, if
 * any) and the exact attribution of one chosen logit. Each result keeps the exact request it
 * answers (what a saved run records); answers to stale requests are dropped.
 */
export class PromptState {
  #text = $state('')
  #tokens = $state.raw<PromptToken[]>([])
  #tokensError = $state.raw<ErrorInfo | null>(null)
  #seq = 0
  readonly #prediction = new LatestRequest<PredictResponse, ApiRequest<'predict.next'>>()
  readonly #attribution = new LatestRequest<AttributeResponse, ApiRequest<'predict.attribute'>>()
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
    return this.#prediction.value
  }
  /** the exact predict.next request the prediction (or its error) answers */
  get predictionRequest() {
    return this.#prediction.about
  }
  get attribution() {
    return this.#attribution.value
  }
  /** the exact predict.attribute request the attribution answers */
  get attributionRequest() {
    return this.#attribution.about
  }
  /** the error of the prediction, else of the attribution, else of tokenising */
  get error(): ErrorInfo | null {
    return this.#prediction.error ?? this.#attribution.error ?? this.#tokensError
  }
  get busy() {
    return this.#prediction.busy
  }

  /** Sets the prompt and re-tokenises it (cheap; called on every keystroke). */
  async setText(text: string): Promise<void> {
    if (text !== this.#text) this.#attribution.clear() // it explained a logit of the old prompt
    this.#text = text
    const seq = ++this.#seq
    if (text === '') {
      this.#tokens = []
      this.#tokensError = null
      return
    }
    const res = await this.#client.call('tokens.encode', { text })
    if (seq !== this.#seq) return
    if (res.ok) {
      this.#tokens = res.value.tokens
      this.#tokensError = null
    } else this.#tokensError = res.error
  }

  /** Runs the model on the prompt with these edits (none: the unedited model). */
  async predict(edits?: SenseEditDocument): Promise<void> {
    if (this.#text === '') return
    const request: ApiRequest<'predict.next'> = { text: this.#text, topK: this.topK, ...withEdits(edits) }
    await this.#prediction.run(request, () => this.#client.call('predict.next', request))
  }

  /**
   * Exact attribution of the logit that position `position` gives to `target` (a token id),
   * i.e. why the model predicted `target` after the prompt's first position+1 tokens.
   */
  async attribute(position: number, target: number, edits?: SenseEditDocument): Promise<void> {
    const request: ApiRequest<'predict.attribute'> = { text: this.#text, position, target, ...withEdits(edits) }
    await this.#attribution.run(request, () => this.#client.call('predict.attribute', request))
  }

  clearAttribution(): void {
    this.#attribution.clear()
  }
}

function withEdits(edits: SenseEditDocument | undefined): { edits?: SenseEditDocument } {
  return edits !== undefined && edits.edits.length > 0 ? { edits } : {}
}
