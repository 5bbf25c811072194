import { toErrorInfo, WorkbenchError, type Result } from '../../shared/errors'
import { API_METHODS, isApiMethod, type ApiHandlers } from '../../shared/ipc/api'
import { parseRequest } from '../../shared/ipc/parse-request'

/**
 * The one dispatcher both doors use (Electron IPC and serve's HTTP): refuses unknown methods,
 * validates the request against the method's schema, calls the handler and turns whatever it
 * throws into a typed error Result. It never throws and never imports electron.
 */
export type Dispatch = (method: unknown, request: unknown) => Promise<Result<unknown>>

export function createDispatcher(handlers: ApiHandlers): Dispatch {
  return async (method, request) => {
    try {
      if (!isApiMethod(method)) {
        const shown = typeof method === 'string' ? JSON.stringify(method.slice(0, 100)) : typeof method
        throw new WorkbenchError('bad-request', `unknown API method ${shown}; methods: ${API_METHODS.join(', ')}`)
      }
      const parsed = parseRequest(method, request)
      const handler = handlers[method] as (r: unknown) => Promise<unknown>
      const value = await handler(parsed)
      return { ok: true, value }
    } catch (e) {
      return { ok: false, error: toErrorInfo(e) }
    }
  }
}
