import type { PromptToken } from '../../shared/ipc/api-types'
import type { Gpt2Tokenizer } from '../tokenizer/gpt2-tokenizer'

/**
 * Tokenises a prompt and gives each token its character span. Spans come from decoding growing
 * prefixes, so a token that ends inside a multi-byte character gets an empty span and the next
 * token covers the whole character.
 */
export function encodePrompt(tokenizer: Gpt2Tokenizer, text: string): PromptToken[] {
  const ids = tokenizer.encode(text)
  const out: PromptToken[] = []
  let start = 0
  for (let i = 0; i < ids.length; i++) {
    const prefix = tokenizer.decode(ids.slice(0, i + 1))
    // a trailing U+FFFD means the prefix ends inside a UTF-8 sequence: not a boundary yet
    const end = i === ids.length - 1 ? text.length : prefix.endsWith('\uFFFD') ? start : Math.min(prefix.length, text.length)
    out.push({ id: ids[i], text: tokenizer.tokenText(ids[i]), start, end })
    start = end
  }
  return out
}
