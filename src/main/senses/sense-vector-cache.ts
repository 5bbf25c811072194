import type { BackpackEngine } from '../runtime/backpack-engine'

/**
 * Per-token sense vectors C(x), (sense, d_model) each, cached by token id with least-recently-used
 * eviction. Sense vectors depend only on the token id (backpack-spec.md §3.1), so one entry serves
 * every context. One cache per engine (see `senseVectorCache`).
 */
export class SenseVectorCache {
  readonly #engine: BackpackEngine
  readonly #capacity: number
  readonly #entries = new Map<number, Float32Array>() // insertion order = recency
  #hits = 0
  #misses = 0

  constructor(engine: BackpackEngine, capacity = 8192) {
    this.#engine = engine
    this.#capacity = capacity
  }

  get stats() {
    return { size: this.#entries.size, capacity: this.#capacity, hits: this.#hits, misses: this.#misses }
  }

  /** One token's senses, (sense, d_model). The returned array is shared: do not modify it. */
  async one(id: number): Promise<Float32Array> {
    return (await this.many([id]))[0]
  }

  /** Senses of several tokens, each (sense, d_model), in the order given. */
  async many(ids: readonly number[]): Promise<Float32Array[]> {
    const missing = [...new Set(ids.filter((id) => !this.#entries.has(id)))]
    this.#hits += ids.length - missing.length
    this.#misses += missing.length
    const fetched = new Map<number, Float32Array>()
    if (missing.length > 0) {
      const { numSenses, nEmbd } = this.#engine.config
      const block = numSenses * nEmbd
      const all = await this.#engine.senseVectors(missing) // (n, sense, d_model)
      missing.forEach((id, i) => fetched.set(id, all.slice(i * block, (i + 1) * block)))
    }
    const out = ids.map((id) => {
      const v = this.#entries.get(id) ?? (fetched.get(id) as Float32Array)
      this.#entries.delete(id)
      this.#entries.set(id, v)
      return v
    })
    while (this.#entries.size > this.#capacity) this.#entries.delete(this.#entries.keys().next().value as number)
    return out
  }
}

const caches = new WeakMap<BackpackEngine, SenseVectorCache>()

/** The process-wide sense cache of an engine. */
export function senseVectorCache(engine: BackpackEngine): SenseVectorCache {
  let c = caches.get(engine)
  if (!c) {
    c = new SenseVectorCache(engine)
    caches.set(engine, c)
  }
  return c
}
