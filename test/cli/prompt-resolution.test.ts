import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { cli, TINY, useTempCache } from './cli-harness'

/**
 * The CLI passes --text / --ids and token flags to the handlers as given; the handlers' one
 * prompt and token resolution answers for every command, with the same typed errors.
 */
const cacheDir = useTempCache('cli-prompt-resolution-')

describe('CLI prompts and tokens through the handlers', () => {
  it('both or neither of --text and --ids is a bad-request for predict, attribute, generate and forward', async () => {
    const out = join(cacheDir(), 'fw')
    for (const prompt of [[], ['--text', 'in the end', '--ids', '1,2']]) {
      for (const args of [
        ['predict', ...prompt],
        ['attribute', ...prompt, '--position', '0', '--target', ' the'],
        ['attribute', ...prompt, '--position=-1', '--target', ' the'],
        ['generate', ...prompt, '--max-new', '1'],
        ['forward', ...prompt, '--out', out],
      ]) {
        const r = await cli([...args, '--checkpoint', TINY])
        expect(r.code, args.join(' ')).toBe(2)
        expect(r.stderr, args.join(' ')).toMatch(/^error\[bad-request\]: .*exactly one of text .* and ids/)
      }
    }
  })

  it('positions outside the prompt, bad --ids lists and tokens that are not one token are bad-requests', async () => {
    const cases = [
      ['attribute', '--text', 'in the end', '--position=-4', '--target', ' the'], // 3 tokens
      ['attribute', '--text', 'in the end', '--position', '3', '--target', ' the'],
      ['attribute', '--ids', '1,2', '--position', '0', '--target', ' the end'],
      ['attribute', '--ids', '1,2', '--position', '0', '--target', '50264'],
      ['attribute', '--ids', '1,2', '--position', '0'], // no --target
      ['predict', '--ids', '1,x'],
      ['predict', '--ids', '1,-2'],
      ['reverse', '--token', '99999'],
    ]
    for (const args of cases) {
      const r = await cli([...args, '--checkpoint', TINY])
      expect(r.code, args.join(' ')).toBe(2)
      expect(r.stderr, args.join(' ')).toMatch(/^error\[bad-request\]/)
    }
    const last = await cli(['attribute', '--text', 'in the end', '--position=-3', '--target', '262', '--top', '1', '--checkpoint', TINY])
    expect(last.code, last.stderr).toBe(0)
    expect(last.json()).toMatchObject({ position: 0, target: { id: 262, text: ' the' } })
  })
})
