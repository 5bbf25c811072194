import { getEncoding } from 'js-tiktoken'
import gpt2Ranks from 'js-tiktoken/ranks/gpt2'
import { describe, expect, it } from 'vitest'
import { Gpt2Tokenizer } from '../../../src/main/tokenizer/gpt2-tokenizer'
import { mulberry32 } from '../../helpers/mulberry32'

/**
 * The O(n log n) merge against js-tiktoken's rank-ordered merge (the reference) on generated
 * text: mixed scripts, emoji, whitespace runs, long repetitive words, lone surrogates.
 */
const ALPHABET = [
  ...'aaaabbcdeeefghiklmnoprstuyz  AEZ0123456789.,;!?-\'"\n\t',
  'é',
  'ü',
  'ß',
  '中',
  '文',
  '字',
  '😀',
  '👍🏽',
  'ÃÂ',
  'й',
  'ش',
  '\u00a0',
  '\u200b',
  '\uFFFD',
  '\uD800',
  '\uDC00',
  '<|endoftext|>',
]

function generated(count: number, seed: number): string[] {
  const random = mulberry32(seed)
  const out: string[] = []
  for (let c = 0; c < count; c++) {
    const length = Math.floor(random() * (c % 10 === 0 ? 600 : 120))
    const letters = random() < 0.25 ? ALPHABET.slice(0, 2 + Math.floor(random() * 4)) : ALPHABET // few letters: long words of repeats
    let s = ''
    for (let i = 0; i < length; i++) s += letters[Math.floor(random() * letters.length)]
    out.push(s)
  }
  return out
}

describe('byte-pair merge', () => {
  const tok = new Gpt2Tokenizer()
  const reference = getEncoding('gpt2')

  it("gives js-tiktoken's ids on 1,500 generated texts", () => {
    const texts = generated(1500, 14)
    const wrong = texts.filter((t) => JSON.stringify(tok.encode(t)) !== JSON.stringify(reference.encode(t, [], [])))
    expect(wrong).toEqual([])
    const special = texts.filter(
      (t) => JSON.stringify(tok.encode(t, { allowSpecial: true })) !== JSON.stringify(reference.encode(t, 'all')),
    )
    expect(special).toEqual([])
  })

  it("gives js-tiktoken's ids on long single words", () => {
    for (const word of [
      'a'.repeat(700),
      'ab'.repeat(300),
      ' ' + 'x'.repeat(500),
      'ÃÂ'.repeat(200),
      '😀'.repeat(150),
      '-'.repeat(600),
      '1'.repeat(600),
    ]) {
      expect(tok.encode(word)).toEqual(reference.encode(word, [], []))
    }
  })

  it('knows the longest token of the vocabulary', () => {
    let longest = 0
    for (const line of gpt2Ranks.bpe_ranks.split('\n'))
      for (const t of line.split(' ').slice(2)) longest = Math.max(longest, Buffer.from(t, 'base64').length)
    expect(tok.maxTokenBytes).toBe(longest)
    expect(longest).toBe(128)
  })

  it("refuses more than maxTokens exactly when the text has more, and truncates to the reference's prefix", () => {
    for (const text of generated(300, 7)) {
      const ids = reference.encode(text, [], [])
      for (const max of [1, 5, 40]) {
        if (ids.length > max) expect(() => tok.encode(text, { maxTokens: max })).toThrow(expect.objectContaining({ code: 'too-long' }))
        else expect(tok.encode(text, { maxTokens: max })).toEqual(ids)
        expect(tok.encode(text, { maxTokens: max, truncate: true })).toEqual(ids.slice(0, max))
      }
    }
  })

  it('refuses hostile texts with too-long, and tokenizes 100,000 characters without a bound', () => {
    const hostile = {
      letters: 'a'.repeat(100_000),
      atTheBound: 'a'.repeat(512 * 128), // passes the length bound: the merge runs, then refuses
      emoji: '😀'.repeat(50_000),
      mixed: Array.from({ length: 100_000 }, (_, i) => 'aé中😀 ,1ش'[i % 8]).join(''),
      spaces: ' '.repeat(100_000) + 'a',
    }
    for (const text of Object.values(hostile)) {
      expect(() => tok.encode(text, { maxTokens: 512 })).toThrow(expect.objectContaining({ code: 'too-long' }))
    }
    expect(tok.encode(hostile.letters)).toHaveLength(25_000) // 'aaaa' is one token
    expect(tok.encode(hostile.emoji)).toHaveLength(100_000)
    expect(tok.encode(hostile.letters, { maxTokens: 512, truncate: true })).toEqual(Array(512).fill(tok.encode('aaaa')[0]))
  })
})
