import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { cli, TINY, useTempCache } from '../cli-harness'

/**
 * `finetune` on the tiny full-vocabulary fixture (real GPT-2 token ids): the document it writes
 * is an ordinary sense-edit document the other commands read, and bad input is a typed error
 * that leaves no file at --out.
 */
const cache = useTempCache('cli-finetune-')
const BACKGROUND = 'a member of the genus Canis. the capital and largest city of France. a person skilled in caring for the sick.\n'.repeat(
  6,
)

function files(name: string, examples: string): { examples: string; background: string; out: string } {
  const dir = cache()
  writeFileSync(join(dir, `${name}.jsonl`), examples)
  writeFileSync(join(dir, 'background.txt'), BACKGROUND)
  return { examples: join(dir, `${name}.jsonl`), background: join(dir, 'background.txt'), out: join(dir, `${name}-edits.json`) }
}

const base = (f: ReturnType<typeof files>) => [
  'finetune',
  '--checkpoint',
  TINY,
  '--examples',
  f.examples,
  '--background',
  f.background,
  '--out',
  f.out,
  '--epochs',
  '3',
]
const errorCode = (stderr: string) => /^error\[([a-z-]+)\]/.exec(stderr)?.[1]

describe('cli finetune', () => {
  it('writes an add-sense document stamped with the checkpoint that predict reads back', async () => {
    const f = files(
      'capitals',
      '{"prefix": "the capital and largest city of", "suffix": " France"}\n{"prefix": "a member of the genus", "suffix": " Canis"}\n',
    )
    const r = await cli([...base(f), '--senses-per-example', '2', '--lr', '0.5'])
    expect(r.stderr).toMatch(/epoch 3\/3/)
    expect(r.code).toBe(0)
    const j = r.json()
    expect(j.out).toBe(f.out)
    expect(j.selected.length).toBeGreaterThan(0)
    expect(j.selected.length).toBeLessThanOrEqual(4)
    for (const s of j.selected) expect(Object.keys(s)).toEqual(expect.arrayContaining(['token', 'text', 'sense', 'score']))
    for (const side of ['before', 'after']) expect(Object.keys(j[side])).toEqual(expect.arrayContaining(['canonicalLoss', 'backgroundNll']))
    expect(j.epochKept).toBe(3)
    expect(j.after.canonicalLoss).toBeLessThan(j.before.canonicalLoss)
    const doc = JSON.parse(readFileSync(f.out, 'utf8'))
    expect(doc.format).toBe('backpack-sense-edits')
    expect(doc.checkpoint).toBe(j.contentHash)
    expect(doc.edits).toHaveLength(j.selected.length)
    for (const e of doc.edits) {
      expect(e.kind).toBe('add-sense')
      expect(e.from.values).toHaveLength(16)
    }
    const p = await cli(['predict', '--checkpoint', TINY, '--text', 'the capital and largest city of', '--edits', f.out, '--top', '1'])
    expect(p.code).toBe(0)
    expect(p.json().edited).toBe(true)
  }, 300_000)

  it('pair losses read suffix1/suffix2', async () => {
    const f = files('pair', '{"prefix": "The nurse said that", "suffix1": " he", "suffix2": " she"}\n')
    const r = await cli([...base(f), '--loss', 'balance'])
    expect(r.code).toBe(0)
    expect(r.json().after.examples[0].suffixNll).toHaveLength(2)
  }, 300_000)

  const bad: [string, string, string[], string][] = [
    ['an empty file', '', [], 'bad-request'],
    ['only blank lines', '\n\n  \n', [], 'bad-request'],
    ['malformed JSON', '{"prefix": "a", "suffix": " b"}\n{"prefix": "a", \n', [], 'bad-request'],
    ['a missing field', '{"prefix": "a"}\n', [], 'bad-request'],
    ['a pair line for a single-suffix loss', '{"prefix": "a", "suffix1": " b", "suffix2": " c"}\n', [], 'bad-request'],
    ['a suffix that tokenizes to nothing', '{"prefix": "a", "suffix": ""}\n', [], 'bad-request'],
    ['a prefix longer than the positions', JSON.stringify({ prefix: ' the'.repeat(600), suffix: ' end' }) + '\n', [], 'too-long'],
    ['ε = 0', '{"prefix": "a", "suffix": " b"}\n', ['--max-degradation', '0'], 'bad-request'],
    ['ε < 0', '{"prefix": "a", "suffix": " b"}\n', ['--max-degradation', '-0.1'], 'bad-request'],
    ['a non-finite learning rate', '{"prefix": "a", "suffix": " b"}\n', ['--lr', 'NaN'], 'bad-request'],
    ['an infinite learning rate', '{"prefix": "a", "suffix": " b"}\n', ['--lr', 'Infinity'], 'bad-request'],
    ['an unknown loss', '{"prefix": "a", "suffix": " b"}\n', ['--loss', 'hinge'], 'bad-request'],
  ]
  for (const [what, text, extra, code] of bad) {
    it(`refuses ${what} with ${code} and writes nothing`, async () => {
      const f = files(`bad-${what.replace(/\W+/g, '-')}`, text)
      const r = await cli([...base(f), ...extra])
      expect(r.code).not.toBe(0)
      expect(errorCode(r.stderr)).toBe(code)
      expect(existsSync(f.out)).toBe(false)
    }, 120_000)
  }

  it('a missing examples file is not-found; no --out is a usage error', async () => {
    const f = files('missing', '')
    expect(errorCode((await cli([...base(f).map((a) => (a === f.examples ? join(cache(), 'nope.jsonl') : a))])).stderr)).toBe('not-found')
    expect(errorCode((await cli(['finetune', '--examples', f.examples])).stderr)).toBe('bad-request')
  })
})
