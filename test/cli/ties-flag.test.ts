import { rmSync } from 'node:fs'
import { afterAll, describe, expect, it } from 'vitest'
import { tiedCheckpoint } from '../main/senses/helpers/tied-checkpoint'
import { cli, useTempCache } from './cli-harness'

// --ties on senses, neighbours and reverse, on a copy of the tiny fixture with tied rows
useTempCache('cli-ties-')
const fixture = tiedCheckpoint()
afterAll(() => rmSync(fixture.dir, { recursive: true, force: true }))

type Listed = { id: number }
/** The ids a command's JSON lists (not the members named in a collapsed entry's label). */
function listed(out: { senses?: { top: Listed[]; bottom: Listed[] }[]; neighbours?: Listed[]; entries?: Listed[] }): number[] {
  const rows = out.senses?.flatMap((c) => [...c.top, ...c.bottom]) ?? out.neighbours ?? out.entries ?? []
  return rows.map((r) => r.id)
}

describe('--ties', () => {
  it('collapses tied groups by default and lists every token with --ties show', async () => {
    const hidden = new Set([fixture.unseen, fixture.pair, fixture.boosting].flatMap((g) => g.slice(1)))
    const runs = [
      ['senses', '--word', ' nurse', '--top', '12'],
      ['neighbours', '--word', ' MacBook'],
      ['reverse', '--token', ' the', '--top', '15'],
    ]
    for (const args of runs) {
      const collapsed = await cli([...args, '--checkpoint', fixture.dir])
      const shown = await cli([...args, '--ties', 'show', '--checkpoint', fixture.dir])
      expect(collapsed.code).toBe(0)
      expect(shown.code).toBe(0)
      expect(listed(collapsed.json()).filter((id) => hidden.has(id))).toEqual([])
      expect(listed(shown.json()).filter((id) => hidden.has(id)).length).toBeGreaterThan(0)
      expect(collapsed.stdout).toContain('"tied"')
      expect(shown.stdout).not.toContain('"tied"')
    }
  }, 180_000)

  it('refuses an unknown mode with bad-request before opening the model', async () => {
    for (const cmd of [
      ['senses', '--word', ' nurse'],
      ['neighbours', '--word', ' nurse'],
      ['reverse', '--token', ' the'],
    ]) {
      const out = await cli([...cmd, '--ties', 'hide', '--checkpoint', fixture.dir])
      expect(out.code).toBe(2)
      expect(out.stderr).toMatch(/^error\[bad-request\]/)
    }
  })
})
