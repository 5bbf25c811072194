import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { cli, useTempCache } from './cli-harness'

/** `suite <name>` through the CLI, in-process (tiny-fullvocab; topic on small-bin, whose sense table is quick). */
const CKPT = join(import.meta.dirname, '../fixtures/checkpoints/tiny-fullvocab')
const SMALL = join(import.meta.dirname, '../fixtures/checkpoints/small-bin')

const dir = useTempCache('suite-cli-')
beforeAll(() => {
  writeFileSync(
    join(dir(), 'nurse.json'),
    JSON.stringify({ format: 'backpack-sense-edits', version: 1, edits: [{ kind: 'scale-sense', token: ' nurse', sense: 2, factor: 0 }] }),
  )
  writeFileSync(join(dir(), 'heldout.txt'), 'I bought a MacBook last year. The MacBook was fast.')
})

describe('cli suite', () => {
  it("gender-bias: the user's edits are the unmodified setting; options select professions and the sense", async () => {
    const plain = await cli([
      'suite',
      'gender-bias',
      '--professions',
      'nurse,janitor',
      '--sense',
      '1',
      '--skip-optimize',
      '--checkpoint',
      CKPT,
    ])
    expect(plain.code, plain.stderr).toBe(0)
    const p = plain.json()
    expect(p).toMatchObject({ suite: 'gender-bias', sense: 1, editsFile: null, edited: false, professions: { used: ['nurse'] } })
    expect(p.professions.dropped[0].profession).toBe('janitor')
    const edited = (
      await cli([
        'suite',
        'gender-bias',
        '--professions',
        'nurse',
        '--sense',
        '1',
        '--skip-optimize',
        '--edits',
        join(dir(), 'nurse.json'),
        '--checkpoint',
        CKPT,
      ])
    ).json()
    expect(edited.edited).toBe(true)
    expect(edited.perProfession[0].unmodified).not.toBe(p.perProfession[0].unmodified)
    const fitted = (await cli(['suite', 'gender-bias', '--professions', 'nurse', '--max-iterations', '3', '--checkpoint', CKPT])).json()
    expect(fitted.perProfession[0].fit.iterations).toBeLessThanOrEqual(3)
    expect(fitted.sense).toBe(3)
  })

  it('knowledge-edit with a held-out file', async () => {
    const r = await cli(['suite', 'knowledge-edit', '--heldout', join(dir(), 'heldout.txt'), '--checkpoint', CKPT])
    expect(r.code, r.stderr).toBe(0)
    const j = r.json()
    expect(j.cases.map((c: { name: string }) => c.name)).toEqual(['MacBook→HP', 'Brady→Colts'])
    expect(j.cases[0].degradation.heldout).toMatchObject({ source: 'given', editedTokenOccurrences: 2 })
    expect(j.cases[1].degradation.heldout.editedTokenOccurrences).toBe(0)
    // and the sentences that mention each edited token, where the edit shows
    for (const c of j.cases) {
      expect(c.degradation.mentions).toMatchObject({ source: 'built-in', sentences: 5 })
      expect(c.degradation.mentions.perSentence).toHaveLength(5)
      expect(c.degradation.mentions.meanKl).toBeGreaterThan(0)
    }
  })

  it('topic with a custom bag on small-bin', async () => {
    const r = await cli([
      'suite',
      'topic',
      '--words',
      'the,and',
      '--strengths',
      '0,2',
      '--samples',
      '1',
      '--max-new',
      '6',
      '--prompt-ids',
      '0',
      '--checkpoint',
      SMALL,
    ])
    expect(r.code, r.stderr).toBe(0)
    const j = r.json()
    expect(j.topics).toHaveLength(1)
    expect(j.topics[0]).toMatchObject({ topic: 'custom', bag: [{ id: 262 }, { id: 290 }] })
    expect(j.summary.map((s: { strength: number }) => s.strength)).toEqual([0, 2])
    expect(r.stderr).toMatch(/topic: custom strength 2 \(2\/2\)/)
  })

  it('refuses unknown suites and options that belong to another suite', async () => {
    const a = await cli(['suite', 'toxicity', '--checkpoint', CKPT])
    expect(a.code).toBe(2)
    expect(a.stderr).toMatch(/gender-bias, topic, knowledge-edit/)
    const b = await cli(['suite', 'knowledge-edit', '--samples', '3', '--checkpoint', CKPT])
    expect(b.code).toBe(2)
    expect(b.stderr).toMatch(/suite knowledge-edit does not take --samples/)
    const c = await cli(['suite', 'topic', '--topics', 'cooking', '--checkpoint', CKPT])
    expect(c.stderr).toMatch(/unknown topic "cooking"/)
  })

  it("topic seeds stay within the generator's exact range [0, 2^32 − 1], as serve's suites.topic", async () => {
    const a = await cli(['suite', 'topic', '--seed', '4294967296', '--checkpoint', CKPT])
    expect(a.code).toBe(2)
    expect(a.stderr).toMatch(/--seed must be an integer in \[0, 4294967295\]/)
    // sample s uses seed + s: the last sample's seed must be in range too
    const b = await cli(['suite', 'topic', '--topics', 'music', '--seed', '4294967295', '--samples', '2', '--checkpoint', CKPT])
    expect(b.code).toBe(2)
    expect(b.stderr).toMatch(/seed must be an integer in \[0, 4294967294\] with 2 samples/)
  })

  it('topic --samples and --max-new take the ranges suites.topic takes ([1, 10000], [1, 512]) and --help prints them', async () => {
    const refused: [string[], RegExp][] = [
      [['--samples', '10001'], /--samples must be an integer in \[1, 10000\], got "10001"/],
      [['--samples', '0'], /--samples must be an integer in \[1, 10000\]/],
      [['--max-new', '513'], /--max-new must be an integer in \[1, 512\], got "513"/],
      [['--max-new', '0'], /--max-new must be an integer in \[1, 512\]/],
    ]
    for (const [flags, message] of refused) {
      const r = await cli(['suite', 'topic', '--topics', 'music', ...flags, '--checkpoint', CKPT])
      expect(r.code, flags.join(' ')).toBe(2)
      expect(r.stderr).toMatch(message)
    }
    // 512 passes (was refused above 511); the prompt token + new tokens stop at the model's positions (small-bin: 64)
    const top = await cli([
      'suite',
      'topic',
      '--words',
      'the',
      '--strengths',
      '0',
      '--samples',
      '1',
      '--max-new',
      '512',
      '--prompt-ids',
      '0',
      '--checkpoint',
      SMALL,
    ])
    expect(top.code, top.stderr).toBe(0)
    expect(top.json().settings.maxNewTokens).toBe(512)
    expect(top.json().topics[0].results[0].samples[0].stopReason).toBe('position-limit')
    expect(top.json().topics[0].results[0].generatedTokens).toBe(63)
    const help = await cli(['suite', '--help'])
    expect(help.code).toBe(0)
    // one line per flag: name, value, description (the layout is the shared flag table's)
    expect(help.stdout).toMatch(/--samples N +topic: generations per topic and strength, integer in \[1, 10000\]/)
    expect(help.stdout).toMatch(/--max-new N +topic: new tokens per generation, integer in \[1, 512\]/)
  })
})
