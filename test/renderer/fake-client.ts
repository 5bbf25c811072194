import type { Result } from '../../src/shared/errors'
import type { ApiEvent, ApiEventName, ApiEvents, ApiMethod, ApiRequest, ApiResponse } from '../../src/shared/ipc/api'
import type { ApiClient } from '../../src/renderer/src/lib/api-client'

/**
 * A scripted ApiClient for state and component tests: each method answers from `responders`
 * (typed by the contract) or with an `unavailable` error; every call is recorded; events can be
 * pushed. The real transports are covered by test/main/serve and the e2e suite.
 */
type Responder<M extends ApiMethod> = (req: ApiRequest<M>) => Promise<Result<ApiResponse<M>>> | Result<ApiResponse<M>>
export type Responders = { [M in ApiMethod]?: Responder<M> }

export function fakeClient(responders: Responders = {}) {
  const calls: { method: ApiMethod; request: unknown }[] = []
  const listeners = new Set<(e: ApiEvent) => void>()
  const connected = new Set<() => void>()
  const client: ApiClient = {
    transport: 'http',
    pathForFile: () => null,
    call: (async (method: ApiMethod, request: unknown) => {
      calls.push({ method, request })
      const r = responders[method] as ((req: unknown) => Promise<Result<unknown>> | Result<unknown>) | undefined
      if (!r) return { ok: false, error: { code: 'unavailable', message: `${method} not scripted` } }
      return r(request)
    }) as ApiClient['call'],
    on<E extends ApiEventName>(name: E, listener: (payload: ApiEvents[E]) => void) {
      const l = (e: ApiEvent) => {
        if (e.name === name) listener(e.payload as ApiEvents[E])
      }
      listeners.add(l)
      return () => listeners.delete(l)
    },
    onConnected(listener) {
      connected.add(listener)
      return () => connected.delete(listener)
    },
  }
  const emit = <E extends ApiEventName>(name: E, payload: ApiEvents[E]) => listeners.forEach((l) => l({ name, payload } as ApiEvent))
  /** the event stream (re)opened */
  const reconnect = () => connected.forEach((l) => l())
  /** how many event listeners are subscribed now (a view that leaks them makes this grow) */
  const listenerCount = () => listeners.size
  return { client, calls, emit, reconnect, listenerCount }
}

export const ok = <T>(value: T): Result<T> => ({ ok: true, value })
