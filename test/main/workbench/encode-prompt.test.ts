import { describe, expect, it } from 'vitest'
import { encodePrompt } from '../../../src/main/workbench/encode-prompt'
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
