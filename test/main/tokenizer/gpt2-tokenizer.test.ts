import { describe, expect, it } from 'vitest'
import { gpt2Tokenizer } from '../../../src/main/tokenizer/gpt2-tokenizer'

const cases: Array<[string, number[]]> = [
  ['hello\n\nhello', [31373, 198, 198, 31373]],
  [' he', [339]],
  [' she', [673]],
  [' MacBook', [28084]],
  [' Apple', [4196]],
  [' HP', [6574]],
  [' nurse', [15849]],
  ['Hello world, the MacBook is made by Apple', [15496, 995, 11, 262, 28084, 318, 925, 416, 4196]],
]

describe('Gpt2Tokenizer', () => {
  const tok = gpt2Tokenizer()
  it.each(cases)('encodes %j', (text, ids) => {
    expect(tok.encode(text)).toEqual(ids)
    expect(tok.decode(ids)).toBe(text)
  })

  it('does not turn <|endoftext|> in plain text into the special id unless asked', () => {
    expect(tok.encode('<|endoftext|>')).not.toContain(50256)
    expect(tok.encode('<|endoftext|>', { allowSpecial: true })).toEqual([50256])
  })

  it('shows padding ids but never decodes them into text', () => {
    expect(tok.tokenText(50260)).toBe('<pad:50260>')
    expect(tok.decode([339, 50260])).toBe(' he')
    expect(() => tok.tokenText(50264)).toThrow()
    expect(() => tok.decode([-1])).toThrow()
  })

  it('prefixes a space for word lookup, as the paper does', () => {
    expect(tok.wordTokens('nurse')).toEqual([15849])
    expect(tok.wordTokens(' nurse')).toEqual([15849])
    expect(tok.wordTokens('diaries').length).toBe(2)
  })
})
