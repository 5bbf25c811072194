import { describe, expect, it } from 'vitest'
import type { SenseTableProgress } from '../../src/main/senses/sense-table'
import { roughDuration, tableProgress } from '../../src/cli/commands/analysis-engine'

/** tableProgress with a clock the test moves: the first-build warning, without timing the machine. */
function harness() {
  const lines: string[] = []
  let t = 0
  const report = tableProgress({ stdout: { write: () => true }, stderr: { write: (s: string) => lines.push(s) } }, () => t)
  return {
    lines,
    at(ms: number, p: SenseTableProgress) {
      t = ms
      report(p)
    },
    warnings: () => lines.filter((l) => /kept in the cache/.test(l)),
  }
}

describe('tableProgress: the warning before a long first build', () => {
  it('a build still running after a few seconds gets one line naming the phase, the size and an estimate, before it ends', () => {
    const h = harness()
    const total = 50_000
    h.at(0, { phase: 'scores', done: 0, total })
    h.at(1000, { phase: 'scores', done: 1000, total })
    expect(h.warnings()).toHaveLength(0)
    h.at(4000, { phase: 'scores', done: 2000, total }) // 2 ms a token: 96 s left
    h.at(8000, { phase: 'scores', done: 4000, total })
    const warnings = h.warnings()
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toContain('50000 tokens')
    expect(warnings[0]).toContain(roughDuration(2 * (total - 2000)))
    expect(warnings[0]).toMatch(/score extremes/)
    for (let done = 5000; done <= total; done += 5000) h.at(done * 2, { phase: 'scores', done, total })
    expect(h.warnings()).toHaveLength(1)
    expect(h.lines.indexOf(warnings[0])).toBeLessThan(h.lines.length - 1)
  })

  it('nothing when the table is already built, and no warning for a build that ends quickly', () => {
    const built = harness()
    built.at(0, { phase: 'senses', done: 100, total: 100 })
    expect(built.lines).toEqual([])
    const quick = harness()
    for (let done = 0; done <= 100; done += 10) quick.at(done * 10, { phase: 'senses', done, total: 100 })
    expect(quick.warnings()).toHaveLength(0)
    expect(quick.lines.length).toBeGreaterThan(5) // the progress lines themselves
  })

  it('waiting on another process that builds it gives no estimate', () => {
    const h = harness()
    const heldBy = { pid: 7, hostname: 'h', startedAt: '2026-01-01T00:00:00Z' }
    for (let done = 0; done < 1000; done += 100) h.at(done * 100, { phase: 'senses', done, total: 1000, heldBy })
    expect(h.warnings()).toHaveLength(0)
  })

  it('roughDuration', () => {
    expect(roughDuration(40_000)).toBe('40 s')
    expect(roughDuration(180_000)).toBe('3 min')
    expect(roughDuration(9_000_000)).toBe('2.5 h')
  })
})
