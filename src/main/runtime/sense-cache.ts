import { LRUCache } from 'lru-cache'

/**
 * Sense vectors C(x) by token id, least recently used evicted past a byte budget. Senses depend
 * on the id only (spec §3.1), so a prompt recomputes only the ids it has not seen. The one cache
 * of C(x): it lives in the engine worker, and every user of sense vectors asks the engine.
 */
export const DEFAULT_SENSE_CACHE_BYTES = 128 * 1024 * 1024

export class SenseCache {
  readonly #entries: LRUCache<number, Float32Array>
  #misses = 0

  constructor(
    readonly valuesPerId: number, // sense · d_model
    budgetBytes = DEFAULT_SENSE_CACHE_BYTES,
  ) {
    this.#entries = new LRUCache({ max: Math.max(1, Math.floor(budgetBytes / (valuesPerId * 4))) })
  }

  has(id: number): boolean {
    return this.#entries.has(id)
  }

  get(id: number): Float32Array | undefined {
    return this.#entries.get(id)
  }

  set(id: number, vectors: Float32Array): void {
    this.#entries.set(id, vectors)
  }

  /** Records ids computed by the sense network (cache misses). */
  count(n: number): void {
    this.#misses += n
  }

  /** ids computed by the sense network so far (cache misses) */
  get computed(): number {
    return this.#misses
  }

  get size(): number {
    return this.#entries.size
  }

  clear(): void {
    this.#entries.clear()
  }
}
