import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { cli, useTempCache } from './cli-harness'

/** `generate` through the CLI, in-process, on the full-vocabulary tiny fixture. */
const CKPT = join(import.meta.dirname, '../fixtures/checkpoints/tiny-fullvocab')

const dir = useTempCache('generate-cli-')
beforeAll(() => {
  writeFileSync(
    join(dir(), 'edits.json'),
    JSON.stringify({
      format: 'backpack-sense-edits',
      version: 1,
      edits: [
        { kind: 'scale-sense', token: ' MacBook', factor: 0 },
        { kind: 'knowledge-edit', token: ' is', remove: ' Apple', add: ' HP' },
      ],
    }),
  )
})

describe('cli generate', () => {
  it('greedy by default; sampling is reproducible with --seed and prints the seed it drew otherwise', async () => {
    const greedy = await cli(['generate', '--text', 'The MacBook is made by', '--max-new', '6', '--checkpoint', CKPT])
    expect(greedy.code, greedy.stderr).toBe(0)
    const g = greedy.json()
    expect(g).toMatchObject({ decoding: { strategy: 'greedy' }, recompute: 'incremental', stopReason: 'max-new-tokens', edited: false })
    expect(g.ids).toHaveLength(6)
    expect(g.promptIds).toEqual([464, 28084, 318, 925, 416])
    expect(g.contentHash).toMatch(/^[0-9a-f]{64}$/)
    const sample = [
      'generate',
      '--text',
      'The MacBook is made by',
      '--max-new',
      '8',
      '--temperature',
      '1.2',
      '--top-k',
      '1000',
      '--top-p',
      '0.9',
      '--checkpoint',
      CKPT,
    ]
    const a = (await cli([...sample, '--seed', '5'])).json()
    const b = (await cli([...sample, '--seed', '5'])).json()
    expect(a.decoding).toEqual({ strategy: 'sample', temperature: 1.2, topK: 1000, topP: 0.9, seed: 5 })
    expect(b.ids).toEqual(a.ids)
    expect(b.text).toBe(a.text)
    const drawn = (await cli(sample)).json()
    expect(Number.isInteger(drawn.decoding.seed)).toBe(true)
    expect((await cli([...sample, '--seed', String(drawn.decoding.seed)])).json().ids).toEqual(drawn.ids)
  })

  it('--compare prints baseline and edited generations with the same seed; --edits alone runs edited', async () => {
    const edits = join(dir(), 'edits.json')
    const r = await cli([
      'generate',
      '--text',
      'The MacBook is made by',
      '--max-new',
      '5',
      '--seed',
      '2',
      '--edits',
      edits,
      '--compare',
      '--attribute',
      '--checkpoint',
      CKPT,
    ])
    expect(r.code, r.stderr).toBe(0)
    const j = r.json()
    expect(j.baseline.edited).toBe(false)
    expect(j.edited.edited).toBe(true)
    expect(j.baseline.decoding.seed).toBe(2)
    expect(j.edited.decoding.seed).toBe(2)
    for (const t of j.edited.tokens)
      expect(t.dominant).toMatchObject({ tokenId: expect.any(Number), sense: expect.any(Number), text: expect.any(String) })
    const alone = (
      await cli(['generate', '--text', 'The MacBook is made by', '--max-new', '5', '--seed', '2', '--edits', edits, '--checkpoint', CKPT])
    ).json()
    expect(alone.ids).toEqual(j.edited.ids)
    const full = (
      await cli([
        'generate',
        '--text',
        'The MacBook is made by',
        '--max-new',
        '5',
        '--seed',
        '2',
        '--edits',
        edits,
        '--full-recompute',
        '--checkpoint',
        CKPT,
      ])
    ).json()
    expect(full.recompute).toBe('full')
    expect(full.ids).toEqual(j.edited.ids)
  })

  it('--speculate N sets the prompt-lookup guesses per step: the same text as one token per step; out of range is refused', async () => {
    // a repetitive prompt, so prompt lookup has guesses to make
    const base = ['generate', '--text', 'one two three one two three one two three one two', '--max-new', '12', '--checkpoint', CKPT]
    const off = (await cli([...base, '--speculate', '0'])).json()
    expect(off.speculation).toEqual({ guessed: 0, accepted: 0 })
    for (const n of ['4', '8']) {
      const on = (await cli([...base, '--speculate', n])).json()
      expect(on.ids, `--speculate ${n}`).toEqual(off.ids)
      expect(on.speculation.guessed).toBeGreaterThan(0)
    }
    const bad = await cli([...base, '--speculate', '65'])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/--speculate must be an integer in \[0, 64\]/)
  })

  it('refuses contradictory or incomplete flags with exit code 2 and the reason', async () => {
    const a = await cli(['generate', '--text', 'x', '--greedy', '--temperature', '0.7', '--checkpoint', CKPT])
    expect(a.code).toBe(2)
    expect(a.stderr).toMatch(/--greedy cannot be combined with sampling flags \(--temperature\)/)
    const b = await cli(['generate', '--text', 'x', '--compare', '--checkpoint', CKPT])
    expect(b.code).toBe(2)
    expect(b.stderr).toMatch(/--compare needs --edits/)
    const c = await cli(['generate', '--text', 'x', '--temperature', 'hot', '--checkpoint', CKPT])
    expect(c.stderr).toMatch(/--temperature must be a number/)
    const d = await cli(['generate', '--text', 'x', '--edits', join(dir(), 'missing.json'), '--checkpoint', CKPT])
    expect(d.code).toBe(1)
    expect(d.stderr).toMatch(/error\[not-found\]/)
  })

  it('takes the shared ranges: seed [0, 2^32 − 1], temperature (0, 100], max-new [1, 512], and prints them in --help', async () => {
    const sample = ['generate', '--text', 'x', '--max-new', '2', '--checkpoint', CKPT]
    const top = await cli([...sample, '--seed', '4294967295', '--temperature', '100'])
    expect(top.code, top.stderr).toBe(0)
    expect(top.json().decoding).toEqual({ strategy: 'sample', temperature: 100, seed: 4294967295 })
    const refused: [string[], RegExp][] = [
      [['--seed', '4294967296'], /--seed must be an integer in \[0, 4294967295\]/],
      [['--seed', '9007199254740991'], /--seed must be an integer in \[0, 4294967295\]/],
      [['--temperature', '100.5'], /--temperature must be a number in \(0, 100\], got 100.5/],
      [['--temperature', '0'], /--temperature must be a number in \(0, 100\], got 0/],
      [['--top-p', '0'], /--top-p must be a number in \(0, 1\], got 0/],
      [['--top-k', '100001'], /--top-k must be an integer in \[1, 100000\]/],
      [['--max-new', '0'], /--max-new must be an integer in \[1, 512\]/],
    ]
    for (const [flags, message] of refused) {
      const r = await cli([...sample, ...flags])
      expect(r.code, flags.join(' ')).toBe(2)
      expect(r.stderr).toMatch(/^error\[bad-request\]/)
      expect(r.stderr).toMatch(message)
    }
    const seedOnly = await cli(['generate', '--text', 'x', '--greedy', '--seed', '3', '--checkpoint', CKPT])
    expect(seedOnly.code).toBe(2)
    expect(seedOnly.stderr).toMatch(/--greedy cannot be combined with sampling flags \(--seed\)/)
    const help = await cli(['generate', '--help'])
    expect(help.code).toBe(0)
    // one line per flag: name, value, description (the layout is the shared flag table's)
    expect(help.stdout).toMatch(/--seed S +integer in \[0, 4294967295\]/)
    expect(help.stdout).toMatch(/--temperature T +number in \(0, 100\]/)
    expect(help.stdout).toMatch(/--max-new N +new tokens, integer in \[1, 512\]/)
  })
})
