import { describe, expect, it } from 'vitest'
import { parseCanonicalExamples, type ParseExamplesOptions } from '../../../src/main/finetune/canonical-examples'
import { gpt2Tokenizer } from '../../../src/main/tokenizer/gpt2-tokenizer'
import { WorkbenchError } from '../../../src/shared/errors'

const tok = gpt2Tokenizer()
const o = (loss: ParseExamplesOptions['loss'], nPositions = 512): ParseExamplesOptions => ({
  loss,
  tokenize: (s) => tok.encode(s),
  nPositions,
  vocabSize: 50264,
})

function code(f: () => unknown): string | undefined {
  try {
    f()
  } catch (e) {
    return e instanceof WorkbenchError ? e.code : 'untyped'
  }
  return undefined
}

describe('parseCanonicalExamples', () => {
  it('reads single-suffix lines: ids are tokenize(prefix) ++ tokenize(suffix), 1-based lines, blank lines, CRLF and a BOM skipped', () => {
    const text = '\uFEFF{"prefix": "the capital of", "suffix": " France"}\r\n\r\n{"prefix": "a", "suffix": " b c"}\n'
    const ex = parseCanonicalExamples(text, o('nll'))
    expect(ex.map((e) => e.line)).toEqual([1, 3])
    expect(ex[0].prefix).toEqual(tok.encode('the capital of'))
    expect(ex[0].suffixes).toEqual([tok.encode(' France')])
    expect(ex[1].suffixes[0]).toHaveLength(2)
  })

  it('reads pair lines for balance and good-v-bad, in suffix1, suffix2 order', () => {
    const ex = parseCanonicalExamples('{"prefix": "The nurse said that", "suffix1": " he", "suffix2": " she"}', o('balance'))
    expect(ex[0].suffixes).toEqual([tok.encode(' he'), tok.encode(' she')])
    expect(parseCanonicalExamples('{"prefix": "x", "suffix1": " a", "suffix2": " b"}', o('good-v-bad'))).toHaveLength(1)
  })

  it.each([
    ['empty text', '', 'nll', 'bad-request'],
    ['blank lines only', '\n \n', 'nll', 'bad-request'],
    ['malformed JSON', '{"prefix": ', 'nll', 'bad-request'],
    ['a JSON array', '["a", "b"]', 'nll', 'bad-request'],
    ['a string line', '"a"', 'nll', 'bad-request'],
    ['a missing suffix', '{"prefix": "a"}', 'nll', 'bad-request'],
    ['a non-string suffix', '{"prefix": "a", "suffix": 3}', 'nll', 'bad-request'],
    ['an unknown field', '{"prefix": "a", "suffix": " b", "weight": 2}', 'nll', 'bad-request'],
    ['a single suffix for a pair loss', '{"prefix": "a", "suffix": " b"}', 'balance', 'bad-request'],
    ['an empty prefix', '{"prefix": "", "suffix": " b"}', 'nll', 'bad-request'],
    ['an empty suffix', '{"prefix": "a", "suffix": ""}', 'nll', 'bad-request'],
    ['an empty suffix2', '{"prefix": "a", "suffix1": " b", "suffix2": ""}', 'good-v-bad', 'bad-request'],
    ['deeply nested JSON', '{"prefix": ' + '['.repeat(20000) + ']'.repeat(20000) + ', "suffix": " b"}', 'nll', 'bad-request'],
    ['prefix + suffix over n_positions', JSON.stringify({ prefix: ' the'.repeat(600), suffix: ' end' }), 'nll', 'too-long'],
  ] as const)('refuses %s (%s loss) with %s', (_, text, loss, expected) => {
    expect(code(() => parseCanonicalExamples(text, o(loss)))).toBe(expected)
  })

  it('counts the positions of prefix + suffix against n_positions exactly', () => {
    const line = '{"prefix": "a b", "suffix": " c"}' // 3 tokens
    expect(parseCanonicalExamples(line, o('nll', 3))).toHaveLength(1)
    expect(code(() => parseCanonicalExamples(line, o('nll', 2)))).toBe('too-long')
  })

  it('bounds the number of examples and the line length', () => {
    expect(code(() => parseCanonicalExamples('{"prefix": "a", "suffix": " b"}\n'.repeat(257), o('nll')))).toBe('bad-request')
    expect(code(() => parseCanonicalExamples(JSON.stringify({ prefix: 'a'.repeat(70_000), suffix: ' b' }), o('nll')))).toBe('bad-request')
  })
})
