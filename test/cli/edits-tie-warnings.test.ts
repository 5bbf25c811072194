import { rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { tiedCheckpoint } from '../main/senses/helpers/tied-checkpoint'
import { cli, useTempCache } from './cli-harness'

// --edits warns on stderr about edits of tied or never-seen tokens, as edits.validate does
const cache = useTempCache('cli-edit-ties-')
const fixture = tiedCheckpoint()
afterAll(() => rmSync(fixture.dir, { recursive: true, force: true }))

const doc = (edits: unknown[]) => JSON.stringify({ format: 'backpack-sense-edits', version: 1, edits })

describe('--edits tie warnings', () => {
  it('names the edit of a tied, never-seen token by its index; an untied edit gets none', async () => {
    const tied = join(cache(), 'tied.json')
    const plain = join(cache(), 'plain.json')
    writeFileSync(
      tied,
      doc([
        { kind: 'scale-sense', token: ' nurse', sense: 0, factor: 0 },
        { kind: 'scale-sense', token: ' MacBook', sense: 0, factor: 2 },
      ]),
    )
    writeFileSync(plain, doc([{ kind: 'scale-sense', token: ' nurse', sense: 0, factor: 0 }]))
    const warned = await cli(['predict', '--text', 'The nurse said', '--edits', tied, '--checkpoint', fixture.dir])
    expect(warned.code).toBe(0)
    const lines = warned.stderr.split('\n').filter((l) => l.startsWith('warning: edit '))
    expect(lines.length).toBeGreaterThan(0)
    expect(lines.every((l) => l.startsWith('warning: edit 1 (scale-sense)'))).toBe(true)
    expect(lines.some((l) => l.includes(JSON.stringify(' MacBook')))).toBe(true)
    const quiet = await cli(['predict', '--text', 'The nurse said', '--edits', plain, '--checkpoint', fixture.dir])
    expect(quiet.code).toBe(0)
    expect(quiet.stderr).not.toContain('warning: edit ')
  }, 180_000)
})
