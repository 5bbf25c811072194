import type { ErrorInfo } from '../../../shared/errors'
import type { TokenSpan } from '../../../shared/ipc/api-types'
import type { ApiClient } from '../lib/api-client'

export interface AlphaMatrix {
  sense: number
  n: number
  tokens: TokenSpan[]
  values: Float32Array // (query, key)
}

/** α (contextualization weights) of one sense for the prompt, for the canvas heatmap. */
export class AlphaState {
  #matrix = $state.raw<AlphaMatrix | null>(null)
  #error = $state.raw<ErrorInfo | null>(null)
  #seq = 0
  sense = $state(0)
  readonly #client: ApiClient

  constructor(client: ApiClient) {
    this.#client = client
  }

  get matrix() {
    return this.#matrix
  }
  get error() {
    return this.#error
  }

  async load(text: string): Promise<void> {
    if (text === '') return
    const seq = ++this.#seq
    const res = await this.#client.call('predict.contextualization', { text, sense: this.sense })
    if (seq !== this.#seq) return
    if (!res.ok) {
      this.#error = res.error
      return
    }
    const bin = atob(res.value.alpha)
    const bytes = new Uint8Array(bin.length)
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i)
    this.#matrix = { sense: res.value.sense, n: res.value.n, tokens: res.value.tokens, values: new Float32Array(bytes.buffer) }
    this.#error = null
  }
}
