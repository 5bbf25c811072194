import type { PromptToken } from '../../shared/ipc/api-types'
import type { Gpt2Tokenizer } from '../tokenizer/gpt2-tokenizer'

/**
 * Tokenises a prompt and gives each token its character span. A token that ends inside a
 * multi-byte character (its text decodes with a trailing U+FFFD) gets an empty span and the
 * token that completes the character covers all of it. Linear: only the tokens since the last
 * clean boundary are decoded together.
 */
export function encodePrompt(tokenizer: Gpt2Tokenizer, text: string): PromptToken[] {
  const ids = tokenizer.encode(text)
  const out: PromptToken[] = []
  let boundary = 0 // index of the first token after the last clean character boundary
  let start = 0 // character offset of that boundary
  for (let i = 0; i < ids.length; i++) {
    const piece = tokenizer.decode(ids.slice(boundary, i + 1))
    const clean = !piece.endsWith('\uFFFD') || i === ids.length - 1
    const end = i === ids.length - 1 ? text.length : clean ? Math.min(start + piece.length, text.length) : start
    out.push({ id: ids[i], text: tokenizer.tokenText(ids[i]), start: out.length > 0 ? out[out.length - 1].end : 0, end })
    if (clean) {
      boundary = i + 1
      start = end
    }
  }
  return out
}
