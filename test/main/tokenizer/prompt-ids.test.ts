import { describe, expect, it } from 'vitest'
import { gpt2Tokenizer } from '../../../src/main/tokenizer/gpt2-tokenizer'
import { checkPromptText, promptIds } from '../../../src/main/tokenizer/prompt-ids'

const code = (fn: () => unknown): string | undefined => {
  try {
    fn()
    return undefined
  } catch (e) {
    return (e as { code?: string }).code
  }
}

describe('promptIds', () => {
  it('tokenizes an ordinary prompt', () => {
    expect(promptIds('Hello world', 512)).toEqual(gpt2Tokenizer().encode('Hello world'))
    expect(checkPromptText(' leading space and emoji 😀')).toBe(' leading space and emoji 😀')
  })

  it.each([
    ['empty', ''],
    ['spaces', '   '],
    ['tabs and newlines', '\t\n\r\n '],
    ['unicode spaces', '\u00a0\u2003\u3000'],
    ['a lone high surrogate', 'abc\uD800def'],
    ['a lone low surrogate', '\uDC00'],
    ['U+FFFD from bytes that are not UTF-8', Buffer.from([0x61, 0xff, 0xfe, 0x62]).toString('utf8')],
    ['not a string', 42],
  ])('refuses %s with bad-request', (_, text) => {
    expect(code(() => promptIds(text, 512))).toBe('bad-request')
  })

  it('refuses more tokens than positions with too-long, hostile texts included', () => {
    expect(code(() => promptIds(' he'.repeat(513), 512))).toBe('too-long')
    expect(promptIds(' he'.repeat(512), 512)).toHaveLength(512)
    for (const text of ['a'.repeat(100_000), '😀'.repeat(50_000), 'a'.repeat(512 * 128), 'x '.repeat(50_000)])
      expect(code(() => promptIds(text, 512))).toBe('too-long')
  })
})
