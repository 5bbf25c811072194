import type { TokenSpan } from '../../../shared/ipc/api-types'
import type { ApiClient } from '../lib/api-client'
import { LatestRequest } from './latest-request.svelte'

export interface AlphaMatrix {
  sense: number
  n: number
  tokens: TokenSpan[]
  values: Float32Array // (query, key)
}

/** α (contextualization weights) of one sense for the prompt, for the canvas heatmap. */
export class AlphaState {
  readonly #req = new LatestRequest<AlphaMatrix, { text: string; sense: number }>()
  sense = $state(0)
  readonly #client: ApiClient

  constructor(client: ApiClient) {
    this.#client = client
  }

  get matrix() {
    return this.#req.value
  }
  get error() {
    return this.#req.error
  }
  /** the prompt and sense the matrix belongs to */
  get about() {
    return this.#req.about
  }

  async load(text: string): Promise<void> {
    if (text === '') return
    const sense = this.sense
    await this.#req.run({ text, sense }, async () => {
      const res = await this.#client.call('predict.contextualization', { text, sense })
      if (!res.ok) return res
      const bin = atob(res.value.alpha)
      const bytes = new Uint8Array(bin.length)
      for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i)
      return {
        ok: true,
        value: { sense: res.value.sense, n: res.value.n, tokens: res.value.tokens, values: new Float32Array(bytes.buffer) },
      }
    })
  }
}
