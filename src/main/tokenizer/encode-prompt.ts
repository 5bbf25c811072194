import type { PromptToken } from '../../shared/ipc/api-types'
import type { Gpt2Tokenizer } from './gpt2-tokenizer'

/**
 * Tokenises a prompt and gives each token its character span. A token that ends inside a
 * multi-byte character gets an empty span and the token that completes the character covers all
 * of it. Linear and allocation-free per token: the spans follow from the tokens' byte lengths,
 * walking the text's UTF-8 encoding (a lone surrogate is the 3 bytes of U+FFFD, as the tokenizer
 * encodes it) character by character.
 */
export function encodePrompt(tokenizer: Gpt2Tokenizer, text: string): PromptToken[] {
  const ids = tokenizer.encode(text)
  const out: PromptToken[] = []
  let bytes = 0 // UTF-8 offset of the end of the current token
  let cursorBytes = 0 // UTF-8 offset of `cursor`
  let cursor = 0 // UTF-16 offset of the first character not yet covered
  let start = 0 // UTF-16 offset of the last clean character boundary
  for (let i = 0; i < ids.length; i++) {
    bytes += tokenizer.byteLength(ids[i])
    while (cursor < text.length) {
      const [units, size] = utf8Char(text, cursor)
      if (cursorBytes + size > bytes) break
      cursor += units
      cursorBytes += size
    }
    const last = i === ids.length - 1
    const clean = cursorBytes === bytes || last
    const end = last ? text.length : clean ? cursor : start
    out.push({ id: ids[i], text: tokenizer.tokenText(ids[i]), start: out.length > 0 ? out[out.length - 1].end : 0, end })
    if (clean) start = end
  }
  return out
}

/** The character at `i`: its length in UTF-16 units and in UTF-8 bytes. */
function utf8Char(text: string, i: number): [number, number] {
  const u = text.charCodeAt(i)
  if (u < 0x80) return [1, 1]
  if (u < 0x800) return [1, 2]
  if (u >= 0xd800 && u <= 0xdbff) {
    const next = text.charCodeAt(i + 1)
    if (next >= 0xdc00 && next <= 0xdfff) return [2, 4]
  }
  return [1, 3] // the rest of the BMP, and a lone surrogate (encoded as U+FFFD)
}
