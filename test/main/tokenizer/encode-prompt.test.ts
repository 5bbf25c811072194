import { describe, expect, it } from 'vitest'
import { encodePrompt } from '../../../src/main/tokenizer/encode-prompt'
import { gpt2Tokenizer } from '../../../src/main/tokenizer/gpt2-tokenizer'

describe('encodePrompt', () => {
  const tok = gpt2Tokenizer()
  const tile = (text: string) => {
    const tokens = encodePrompt(tok, text)
    expect(tokens.map((t) => t.id)).toEqual(tok.encode(text))
    expect(tokens[0]?.start ?? 0).toBe(0)
    for (let i = 1; i < tokens.length; i++) expect(tokens[i].start).toBe(tokens[i - 1].end)
    expect(tokens.at(-1)?.end ?? 0).toBe(text.length)
    return tokens
  }

  it('gives ASCII tokens the spans of their text', () => {
    const tokens = tile('The nurse said that she')
    for (const t of tokens) expect('The nurse said that she'.slice(t.start, t.end)).toBe(t.text)
  })

  it('covers a character split over several tokens by the token that completes it', () => {
    const text = 'naïve 🙂 café 日本語'
    const tokens = tile(text)
    const spans = tokens.filter((t) => t.end > t.start).map((t) => text.slice(t.start, t.end))
    expect(spans.join('')).toBe(text)
    expect(tokens.some((t) => t.start === t.end)).toBe(true) // the emoji needs more than one token
  })

  it('handles the empty prompt', () => {
    expect(encodePrompt(tok, '')).toEqual([])
  })
})

/** The previous implementation (decoding the tokens since the last clean boundary at every token), as the reference for the spans. */
function decodingSpans(tok: ReturnType<typeof gpt2Tokenizer>, text: string): [number, number][] {
  const ids = tok.encode(text)
  const out: [number, number][] = []
  let boundary = 0
  let start = 0
  for (let i = 0; i < ids.length; i++) {
    const piece = tok.decode(ids.slice(boundary, i + 1))
    const clean = !piece.endsWith('\uFFFD') || i === ids.length - 1
    const end = i === ids.length - 1 ? text.length : clean ? Math.min(start + piece.length, text.length) : start
    out.push([out.length > 0 ? out[out.length - 1][1] : 0, end])
    if (clean) {
      boundary = i + 1
      start = end
    }
  }
  return out
}

describe('encodePrompt spans from byte lengths', () => {
  const tok = gpt2Tokenizer()
  it('equal the spans of decoding the tokens, on generated text of many scripts', () => {
    const alphabet = [...'ab c.\n', 'é', 'ï', '中', '日本', '🙂', '👍🏽', 'ش', 'й', '\u00a0', '🇫🇷']
    let seed = 5
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31
    for (let n = 0; n < 400; n++) {
      let text = ''
      for (let i = 0, len = Math.floor(random() * 60); i < len; i++) text += alphabet[Math.floor(random() * alphabet.length)]
      expect(
        encodePrompt(tok, text).map((t) => [t.start, t.end]),
        JSON.stringify(text),
      ).toEqual(decodingSpans(tok, text))
    }
  })
})
