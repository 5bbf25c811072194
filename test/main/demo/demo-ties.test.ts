import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { explainEditTokens } from '../../../src/main/senses/edit-tie-warnings'
import { senseAtlas } from '../../../src/main/senses/sense-atlas'
import { ModelSession } from '../../../src/main/session/model-session'
import { gpt2Tokenizer } from '../../../src/main/tokenizer/gpt2-tokenizer'

/**
 * The bundled demo Backpack: the tokens its training split never holds share one embedding row,
 * and without collapsing that block fills the ends of many of " nurse"'s sense lists.
 */
const DIR = join(import.meta.dirname, '../../../resources/demo-backpack')
const env = { ...process.env }
let session: ModelSession
let cache: string

beforeAll(async () => {
  cache = mkdtempSync(join(tmpdir(), 'bw-demo-ties-'))
  process.env.BACKPACK_CACHE_DIR = cache
  session = await ModelSession.open({ checkpointDir: DIR })
}, 120_000)
afterAll(async () => {
  await session?.dispose()
  process.env = env
  rmSync(cache, { recursive: true, force: true })
})

describe('tied tokens on the demo', () => {
  it('finds one large group of never-seen tokens sharing a row, " MacBook" among them', async () => {
    const tied = await session.tiedTokens()
    const big = tied.groups.reduce((a, b) => (b.length > a.length ? b : a))
    expect(big.length).toBeGreaterThan(12_000)
    const macbook = gpt2Tokenizer().encode(' MacBook')[0]
    expect(big).toContain(macbook)
    expect(tied.info(big[0])).toMatchObject({ size: big.length, neverSeen: true })
    const why = explainEditTokens(
      { token: macbook, remove: gpt2Tokenizer().encode(' Apple')[0], add: gpt2Tokenizer().encode(' HP')[0] },
      tied,
    )
    expect(why.some((w) => w.includes(JSON.stringify(' MacBook')))).toBe(true)
  })

  it('" nurse"\'s lists show the block as one labelled entry instead of its members', async () => {
    const tied = await session.tiedTokens()
    const big = tied.groups.reduce((a, b) => (b.length > a.length ? b : a))
    const inBig = new Set(big)
    const shown = await senseAtlas(session.engine, ' nurse', { ties: { tied, mode: 'show' } })
    const collapsed = await senseAtlas(session.engine, ' nurse', { ties: { tied, mode: 'collapse' } })
    let blocks = 0
    for (const [l, card] of shown.senses.entries()) {
      for (const side of ['top', 'bottom'] as const) {
        const members = card[side].filter((t) => inBig.has(t.id))
        const after = collapsed.senses[l][side]
        expect(after).toHaveLength(card[side].length)
        const labelled = after.filter((t) => t.tied)
        if (members.length >= 2) {
          blocks++
          expect(labelled).toHaveLength(1)
          expect(labelled[0]).toMatchObject({ id: big[0], tied: { size: big.length, neverSeen: true } })
        }
        expect(after.filter((t) => inBig.has(t.id) && t.id !== big[0])).toEqual([])
      }
    }
    expect(blocks).toBeGreaterThanOrEqual(8) // without collapsing, the block ends a list in about half of the 16 senses
  })
})
