import { WorkbenchError } from '../../shared/errors'
import { gpt2Tokenizer } from './gpt2-tokenizer'

/**
 * Refuses prompt text that cannot be what the user meant (`bad-request`): empty or only
 * whitespace, a lone UTF-16 surrogate (not text: the tokenizer would silently turn it into
 * U+FFFD), or U+FFFD itself — what a decoder leaves where the input had bytes that are not UTF-8.
 */
export function checkPromptText(text: unknown, what = 'the prompt'): string {
  if (typeof text !== 'string') throw new WorkbenchError('bad-request', `${what} must be a string`)
  if (text.trim() === '') throw new WorkbenchError('bad-request', `${what} is empty or only whitespace`)
  const surrogate = /[\uD800-\uDFFF]/u.exec(text)
  if (surrogate)
    throw new WorkbenchError(
      'bad-request',
      `${what} has a lone UTF-16 surrogate (U+${text.charCodeAt(surrogate.index).toString(16).toUpperCase()}) at character ${surrogate.index}: it is not valid Unicode text`,
    )
  const replaced = text.indexOf('\uFFFD')
  if (replaced >= 0)
    throw new WorkbenchError(
      'bad-request',
      `${what} has U+FFFD (the replacement character) at character ${replaced}: the input had bytes that are not UTF-8`,
    )
  return text
}

/**
 * The token ids of a prompt for a model of `maxTokens` positions: checked text, at least one
 * token, and a `too-long` refusal that comes before tokenizing what cannot fit (gpt2-tokenizer.ts).
 */
export function promptIds(text: unknown, maxTokens: number, what = 'the prompt'): number[] {
  const checked = checkPromptText(text, what)
  let ids: number[]
  try {
    ids = gpt2Tokenizer().encode(checked, { maxTokens })
  } catch (e) {
    if (e instanceof WorkbenchError && e.code === 'too-long')
      throw new WorkbenchError('too-long', `${what} is too long for this model (${maxTokens} positions): ${e.message}`, { cause: e })
    throw e
  }
  if (ids.length === 0) throw new WorkbenchError('bad-request', `${what} has no tokens`)
  return ids
}
