import { LRUCache } from 'lru-cache'
import type { SaveableMethod } from '../../shared/ipc/request-schemas'
import { canonicalJson } from '../store/canonical-json'

/** One remembered answer: exactly what the handler returned, and how long it took. */
export interface MemoizedResponse {
  response: unknown
  totalMs: number
}

/**
 * The last answers of the saveable methods in one model session, by (method, canonical request
 * without its runId): a researcher who clicks Save right after seeing a result saves that very
 * result instead of waiting for a minutes-long suite to run again. Cleared when the model changes.
 */
export class ResponseMemo {
  readonly #cache = new LRUCache<string, MemoizedResponse>({ max: 16 })

  get(method: SaveableMethod, request: object): MemoizedResponse | undefined {
    return this.#cache.get(memoKey(method, request))
  }

  remember(method: SaveableMethod, request: object, answer: MemoizedResponse): void {
    this.#cache.set(memoKey(method, request), answer)
  }

  clear(): void {
    this.#cache.clear()
  }
}

function memoKey(method: string, request: object): string {
  const { runId: _runId, ...rest } = request as Record<string, unknown>
  return `${method} ${canonicalJson(rest)}`
}
