/**
 * Sense vectors C(x) by token id, least recently used evicted past a byte budget. Senses depend
 * on the id only (spec §3.1), so a prompt recomputes only the ids it has not seen.
 */
export const DEFAULT_SENSE_CACHE_BYTES = 128 * 1024 * 1024

export class SenseCache {
  readonly #entries = new Map<number, Float32Array>() // insertion order = recency
  readonly #capacity: number
  #misses = 0

  constructor(
    readonly valuesPerId: number, // sense · d_model
    budgetBytes = DEFAULT_SENSE_CACHE_BYTES,
  ) {
    this.#capacity = Math.max(1, Math.floor(budgetBytes / (valuesPerId * 4)))
  }

  has(id: number): boolean {
    return this.#entries.has(id)
  }

  get(id: number): Float32Array | undefined {
    const v = this.#entries.get(id)
    if (v) {
      this.#entries.delete(id)
      this.#entries.set(id, v)
    }
    return v
  }

  set(id: number, vectors: Float32Array): void {
    this.#entries.delete(id)
    this.#entries.set(id, vectors)
    while (this.#entries.size > this.#capacity) this.#entries.delete(this.#entries.keys().next().value as number)
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
