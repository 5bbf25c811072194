import type * as z from 'zod'
import { WorkbenchError } from '../errors'
import type { ApiMethod, ApiParsedRequest } from './api'
import { REQUEST_SCHEMAS } from './request-schemas'

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
