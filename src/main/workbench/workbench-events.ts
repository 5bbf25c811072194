import type { ApiEvent, ApiEventName, ApiEvents } from '../../shared/ipc/api'

/** A tiny typed event hub: the workbench emits, each transport (IPC, serve) subscribes once. */
export class WorkbenchEvents {
  readonly #listeners = new Set<(event: ApiEvent) => void>()

  emit<E extends ApiEventName>(name: E, payload: ApiEvents[E]): void {
    const event = { name, payload } as ApiEvent
    for (const listener of this.#listeners) {
      try {
        listener(event)
      } catch {
        // a failing transport must not break the others or the emitting computation
      }
    }
  }

  subscribe(listener: (event: ApiEvent) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }
}
