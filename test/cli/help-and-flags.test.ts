import { describe, expect, it } from 'vitest'
import { describeFlags, nearestFlag } from '../../src/cli/cli-command'
import { cli } from './cli-harness'

/** The `--help` flag lines of one invocation: `  --name [<value>]  description`. */
async function flagLines(args: string[]): Promise<string[]> {
  const r = await cli([...args, '--help'])
  expect(r.code).toBe(0)
  return r.stdout.split('\n').filter((l) => /^ {2}--/.test(l))
}

describe('CLI --help', () => {
  it.each(['predict', 'neighbours', 'generate', 'suite', 'experiment list', 'experiment compare', 'sweep run', 'serve'])(
    '%s: every flag has a description, in one aligned column',
    async (command) => {
      const lines = await flagLines(command.split(' '))
      expect(lines.length).toBeGreaterThan(1)
      const column = lines.map((l) => /^ {2}--\S+(?: (?:<value>|[A-Z]+))? +(?=\S)/.exec(l)?.[0].length)
      expect(column.every((c) => c !== undefined && c === column[0])).toBe(true)
      for (const l of lines) expect(l.slice(column[0]).trim().length).toBeGreaterThan(5)
    },
  )

  it('shows defaults, from the option table and from the command', async () => {
    const predict = await flagLines(['predict'])
    expect(predict.find((l) => l.startsWith('  --top '))).toMatch(/default: 10\)$/)
    const serve = await flagLines(['serve'])
    expect(serve.find((l) => l.startsWith('  --host '))).toMatch(/default: 127\.0\.0\.1\)$/)
    const gen = await flagLines(['generate'])
    expect(gen.find((l) => l.startsWith('  --text '))).not.toMatch(/default/)
  })

  it('describeFlags marks repeatable flags and leaves a flag without default plain', () => {
    const text = describeFlags({
      tag: { type: 'string', multiple: true, description: 'a tag' },
      all: { type: 'boolean', description: 'every one', defaultText: 'off' },
    })
    expect(text.split('\n')).toEqual(['  --tag <value>  a tag (repeatable)', '  --all          every one (default: off)'])
  })
})

describe('CLI unknown flags', () => {
  it.each([
    [['predict', '--txt', 'hi'], 'text'],
    [['neighbours', '--wrd', ' nurse'], 'word'],
    [['generate', '--text', 'a', '--max-nw', '3'], 'max-new'],
    [['experiment', 'list', '--limt', '3'], 'limit'],
    [['sweep', 'status', 'x', '--quee', 'q'], 'queue'],
  ])('%j names the nearest flag, --%s, as a bad-request (exit 2)', async (args, near) => {
    const r = await cli(args)
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/^error\[bad-request\]/)
    expect(r.stderr).toContain(`--${near}?`)
    expect(r.stdout).toBe('')
  })

  it("a flag near nothing lists the command's flags instead", async () => {
    const r = await cli(['reverse', '--zzzzzz'])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/^error\[bad-request\]/)
    expect(r.stderr).not.toContain('did you mean')
    for (const f of ['--token', '--top', '--suppress', '--checkpoint']) expect(r.stderr).toContain(f)
  })

  it('nearestFlag suggests only close names', () => {
    const known = ['text', 'ids', 'top', 'edits', 'log-odds']
    expect(nearestFlag('--txt', known)).toBe('text')
    expect(nearestFlag('--edit', known)).toBe('edits')
    expect(nearestFlag('--log-odd=3', known)).toBe('log-odds')
    expect(nearestFlag('--checkpoint', known)).toBeUndefined()
    expect(nearestFlag('-q', known)).toBeUndefined()
  })
})
