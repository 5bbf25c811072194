/**
 * The generated cases of the hostile fine-tuning suite, by category: one `finetune.run` request
 * each (sent through the real dispatcher) and the error code that counts as handled. Built on a
 * valid request so each case breaks exactly one thing.
 */
export interface FinetuneCase {
  category: string
  name: string
  request: Record<string, unknown>
  code: string
}

const GOOD_LINE = '{"prefix": "the capital and largest city of", "suffix": " France"}'
const base = (over: Record<string, unknown>) => ({
  examples: GOOD_LINE + '\n',
  epochs: 1,
  background: 'a member of the genus Canis. the capital of France.',
  ...over,
})

const malformedLines: [string, string][] = [
  ['truncated JSON', '{"prefix": "a", '],
  ['a bare string', '"prefix"'],
  ['a number', '42'],
  ['an array', '["a", " b"]'],
  ['null', 'null'],
  ['a missing suffix', '{"prefix": "a"}'],
  ['a missing prefix', '{"suffix": " b"}'],
  ['a numeric suffix', '{"prefix": "a", "suffix": 3}'],
  ['a null prefix', '{"prefix": null, "suffix": " b"}'],
  ['an unknown field', '{"prefix": "a", "suffix": " b", "weight": 2}'],
  ['pair fields for nll', '{"prefix": "a", "suffix1": " b", "suffix2": " c"}'],
  ['single quotes', "{'prefix': 'a', 'suffix': ' b'}"],
  ['a trailing comma', '{"prefix": "a", "suffix": " b",}'],
  ['NaN literal', '{"prefix": "a", "suffix": NaN}'],
  ['a nested object', '{"prefix": {"text": "a"}, "suffix": " b"}'],
  ['an empty prefix', '{"prefix": "", "suffix": " b"}'],
]

export function finetuneCases(): FinetuneCase[] {
  const cases: FinetuneCase[] = []
  const add = (category: string, name: string, request: Record<string, unknown>, code: string) =>
    cases.push({ category, name, request, code })

  // empty or malformed examples files
  for (const [name, text] of [
    ['empty', ''],
    ['blank lines', '\n \n\t\n'],
    ['a byte-order mark only', '\uFEFF'],
    ['CRLF blank lines', '\r\n\r\n'],
  ])
    add('examples file', name, base({ examples: text }), 'bad-request')
  for (const [name, line] of malformedLines) {
    add('examples file', `${name} (only line)`, base({ examples: line + '\n' }), 'bad-request')
    add('examples file', `${name} (after a good line)`, base({ examples: `${GOOD_LINE}\n${line}\n` }), 'bad-request')
  }
  add('examples file', 'more than 256 examples', base({ examples: (GOOD_LINE + '\n').repeat(257) }), 'bad-request')
  add(
    'examples file',
    'a line of 70 000 characters',
    base({ examples: JSON.stringify({ prefix: 'a'.repeat(70_000), suffix: ' b' }) }),
    'bad-request',
  )
  add('examples file', 'not a string', base({ examples: ['a'] }), 'bad-request')
  add('examples file', 'over 4 MiB', base({ examples: ' '.repeat(4 * 1024 * 1024 + 1) }), 'bad-request')

  // suffixes that tokenize to nothing
  add('empty suffix', 'nll, suffix ""', base({ examples: '{"prefix": "a", "suffix": ""}' }), 'bad-request')
  add('empty suffix', 'unlikely, suffix ""', base({ loss: 'unlikely', examples: '{"prefix": "a", "suffix": ""}' }), 'bad-request')
  add(
    'empty suffix',
    'balance, suffix2 ""',
    base({ loss: 'balance', examples: '{"prefix": "The nurse said", "suffix1": " he", "suffix2": ""}' }),
    'bad-request',
  )
  add(
    'empty suffix',
    'good-v-bad, suffix1 ""',
    base({ loss: 'good-v-bad', examples: '{"prefix": "The nurse said", "suffix1": "", "suffix2": " she"}' }),
    'bad-request',
  )
  add('empty suffix', 'an empty suffix on line 2', base({ examples: `${GOOD_LINE}\n{"prefix": "a", "suffix": ""}` }), 'bad-request')

  // prefixes longer than the model's positions (the tiny fixture has 512)
  for (const n of [512, 513, 600, 5000])
    add('too long', `prefix of ${n} tokens`, base({ examples: JSON.stringify({ prefix: ' the'.repeat(n), suffix: ' end' }) }), 'too-long')
  add(
    'too long',
    'prefix 511 + suffix 2 tokens',
    base({ examples: JSON.stringify({ prefix: ' the'.repeat(511), suffix: ' end end' }) }),
    'too-long',
  )

  // the degradation ball's ε must be > 0 and finite
  for (const eps of [0, -0, -1e-12, -0.1, -1, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, '0.1', null])
    add('ε ≤ 0', `maxDegradation ${String(eps)}`, base({ maxDegradation: eps }), 'bad-request')

  // learning rates that are not finite (or not in (0, 1000])
  for (const lr of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0, -0.5, 1e308, '0.5', null])
    add('learning rate', `lr ${String(lr)}`, base({ lr }), 'bad-request')
  for (const [name, over] of [
    ['kl weight NaN', { klWeight: Number.NaN }],
    ['kl weight −1', { klWeight: -1 }],
    ['lambda −1', { lambda: -1 }],
    ['epochs 0', { epochs: 0 }],
    ['epochs 1.5', { epochs: 1.5 }],
    ['senses per example 0', { sensesPerExample: 0 }],
    ['seed −1', { seed: -1 }],
    ['loss hinge', { loss: 'hinge' }],
    ['an unknown setting', { momentum: 0.9 }],
  ] as const)
    add('other settings', name, base(over), 'bad-request')
  return cases
}
