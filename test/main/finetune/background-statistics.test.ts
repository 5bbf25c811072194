import { readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { backgroundStatistics } from '../../../src/main/finetune/background-statistics'
import { backgroundWindows } from '../../../src/main/finetune/background-text'
import { useEngine } from '../generation/engine-fixture'

/** The background statistics are computed once per (checkpoint, background) and read back from the cache. */
describe('background statistics (small-bin)', () => {
  const fixture = useEngine('small-bin')
  const ids = Array.from({ length: 140 }, (_, i) => (i * 37) % 512)

  it('windows overlap by one token so every token but the first is predicted once', () => {
    expect(backgroundWindows(140, 64)).toEqual([
      { start: 0, end: 64 },
      { start: 63, end: 127 },
      { start: 126, end: 140 },
    ])
    expect(backgroundWindows(1, 64)).toEqual([])
  })

  it('are cached on disk by content hash; a damaged cache file is recomputed, not trusted', async () => {
    const engine = fixture.engine()
    const first = await backgroundStatistics(engine, ids)
    expect(first.cached).toBe(false)
    expect(first.positions).toBe(139)
    // α rows sum to 1: the masses of all (token, sense) pairs add up to the number of senses
    expect(first.alphaMass.reduce((s, x) => s + x, 0)).toBeCloseTo(engine.config.numSenses, 3)
    const again = await backgroundStatistics(engine, ids)
    expect(again.cached).toBe(true)
    expect(again.alphaMass).toEqual(first.alphaMass)
    expect(again.nll).toEqual(first.nll)
    const dir = join(fixture.cache(), 'finetune', engine.contentHash)
    const [file] = readdirSync(dir)
    writeFileSync(join(dir, file), 'not a statistics file')
    const rebuilt = await backgroundStatistics(engine, ids)
    expect(rebuilt.cached).toBe(false)
    expect(rebuilt.nll).toEqual(first.nll)
    expect((await backgroundStatistics(engine, ids.slice(1))).cached).toBe(false) // another background, another entry
  })
})
