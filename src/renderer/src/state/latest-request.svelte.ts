import type { ErrorInfo, Result } from '../../../shared/errors'

/**
 * The latest answer to a request that can be asked again before the previous answer arrives
 * (a lookup, a prediction): its value, the inputs it belongs to (`about`), its error and
 * whether a request is under way. An answer to any request but the latest is dropped, and
 * `clear()` drops the value and any answer still in flight, so a result never outlives its
 * inputs unnoticed.
 */
export class LatestRequest<T, A = unknown> {
  #value = $state.raw<T | null>(null)
  #about = $state.raw<A | null>(null)
  #error = $state.raw<ErrorInfo | null>(null)
  #busy = $state(false)
  #seq = 0

  get value(): T | null {
    return this.#value
  }
  /** the inputs the value (or error) answers */
  get about(): A | null {
    return this.#about
  }
  get error(): ErrorInfo | null {
    return this.#error
  }
  get busy(): boolean {
    return this.#busy
  }

  /**
   * Asks `call` for the value of `about`. Resolves to true when this answer was kept (it was
   * still the latest), false when a newer request or `clear()` superseded it.
   */
  async run(about: A, call: () => Promise<Result<T>>): Promise<boolean> {
    const seq = ++this.#seq
    this.#busy = true
    const res = await call()
    if (seq !== this.#seq) return false
    this.#busy = false
    this.#about = about
    if (res.ok) {
      this.#value = res.value
      this.#error = null
    } else {
      this.#value = null
      this.#error = res.error
    }
    return true
  }

  /** Forgets the value and error and drops any answer still in flight. */
  clear(): void {
    this.#seq++
    this.#busy = false
    this.#value = null
    this.#about = null
    this.#error = null
  }
}
