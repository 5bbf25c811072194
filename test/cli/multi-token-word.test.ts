import { describe, expect, it } from 'vitest'
import { gpt2Tokenizer } from '../../src/main/tokenizer/gpt2-tokenizer'
import { cli, TINY, useTempCache } from './cli-harness'

/**
 * A word the tokenizer splits into several tokens is never silently reduced to one: `senses` and
 * `neighbours` print its tokens and the policy used on stderr (and in the JSON); a multi-token
 * `--token` is refused.
 */
useTempCache('cli-multi-token-')
const WORD = 'zzqxvwj'
const ids = gpt2Tokenizer().encode(' ' + WORD)

describe('a multi-token word in the CLI', () => {
  it('senses: the default policy (first) and its tokens are printed on stderr', async () => {
    expect(ids.length).toBeGreaterThan(1)
    const r = await cli(['senses', '--word', WORD, '--top', '1', '--checkpoint', TINY])
    expect(r.code, r.stderr).toBe(0)
    expect(r.json()).toMatchObject({ multiToken: true, policy: 'first', used: [ids[0]], tokens: ids.map((id) => ({ id })) })
    const note = r.stderr.split('\n').filter((l) => l.startsWith('note: '))
    expect(note).toHaveLength(1)
    expect(note[0]).toContain(`is ${ids.length} tokens`)
    for (const id of ids) expect(note[0]).toContain(`=${id}`)
    expect(note[0]).toContain('policy first')
  })

  it('senses --policy mean: stderr says mean', async () => {
    const r = await cli(['senses', '--word', WORD, '--top', '1', '--policy', 'mean', '--checkpoint', TINY])
    expect(r.code, r.stderr).toBe(0)
    expect(r.json()).toMatchObject({ policy: 'mean', used: ids })
    expect(r.stderr).toMatch(/^note: .*policy mean/m)
  })

  it('a one-token word prints no note', async () => {
    const r = await cli(['senses', '--word', 'nurse', '--top', '1', '--checkpoint', TINY])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr).not.toMatch(/^note: /m)
  })

  it('neighbours: the same note, and the policy in the JSON', async () => {
    const r = await cli(['neighbours', '--word', WORD, '--sense', '1', '--top', '2', '--policy', 'mean', '--checkpoint', TINY])
    expect(r.code, r.stderr).toBe(0)
    expect(r.json()).toMatchObject({ multiToken: true, policy: 'mean', used: ids })
    expect(r.stderr).toMatch(/^note: .*policy mean/m)
  })

  it('a bad --policy is a usage error for both; a multi-token --token is refused', async () => {
    for (const cmd of ['senses', 'neighbours']) {
      const r = await cli([cmd, '--word', WORD, '--policy', 'last', '--checkpoint', TINY])
      expect(r.code, cmd).toBe(2)
      expect(r.stderr, cmd).toMatch(/^error\[bad-request\]/)
    }
    const r = await cli(['reverse', '--token', ' ' + WORD, '--checkpoint', TINY])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/^error\[bad-request\]/)
  })
})
