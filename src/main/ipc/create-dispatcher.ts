import type { z } from 'zod'
import { toErrorInfo, WorkbenchError, type Result } from '../../shared/errors'
import { API_METHODS, isApiMethod, type ApiMethod, type ApiParsedRequest, type ApiResponse } from '../../shared/ipc/api'
import { REQUEST_SCHEMAS } from '../../shared/ipc/request-schemas'

/**
 * The one dispatcher both doors use (Electron IPC and serve's HTTP): refuses unknown methods,
 * validates the request against the method's schema, calls the handler and turns whatever it
 * throws into a typed error Result. It never throws and never imports electron.
 */
export type ApiHandler<M extends ApiMethod> = (request: ApiParsedRequest<M>) => Promise<ApiResponse<M>>
export type ApiHandlers = { [M in ApiMethod]: ApiHandler<M> }
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

/** Validates a request for `method`, throwing a `bad-request` that names each bad field. */
export function parseRequest<M extends ApiMethod>(method: M, request: unknown): ApiParsedRequest<M> {
  const schema = REQUEST_SCHEMAS[method] as z.ZodType
  const res = schema.safeParse(request ?? {})
  if (!res.success) {
    const issues = res.error.issues
      .slice(0, 5)
      .map((i) => `${i.path.length ? i.path.join('.') : '(request)'}: ${i.message}`)
      .join('; ')
    throw new WorkbenchError('bad-request', `invalid request for ${method}: ${issues}`)
  }
  return res.data as ApiParsedRequest<M>
}
