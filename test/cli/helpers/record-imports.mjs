// `node --import ./record-imports.mjs …`: appends every module URL the process resolves to the
// file named by $RECORD_IMPORTS, one a line (module hooks run in their own thread, hence a file).
import { register } from 'node:module'

const hooks = `
import { appendFileSync } from 'node:fs'
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context)
  if (process.env.RECORD_IMPORTS) appendFileSync(process.env.RECORD_IMPORTS, r.url + '\\n')
  return r
}`
register(`data:text/javascript,${encodeURIComponent(hooks)}`)
