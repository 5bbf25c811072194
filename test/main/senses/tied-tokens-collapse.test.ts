import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDispatcher, type Dispatch } from '../../../src/main/workbench/create-dispatcher'
import { Workbench } from '../../../src/main/workbench/workbench'
import type {
  KnowledgeEditView,
  NeighboursResponse,
  ReverseResponse,
  SenseLookupResponse,
  TiedGroupInfo,
  ValidatedEdits,
} from '../../../src/shared/ipc/api-types'
import { one, tiedCheckpoint } from './helpers/tied-checkpoint'

// The real service (engine in its worker, sense table, int8 index) on a copy of the tiny
// full-vocabulary fixture with two deliberately tied groups of embedding rows.
const env = { ...process.env }
let workbench: Workbench
let dispatch: Dispatch
let fixture: ReturnType<typeof tiedCheckpoint>
let temp: string

beforeAll(async () => {
  temp = mkdtempSync(join(tmpdir(), 'bw-ties-'))
  Object.assign(process.env, { BACKPACK_CACHE_DIR: join(temp, 'cache'), BACKPACK_DATA_DIR: join(temp, 'data') })
  fixture = tiedCheckpoint()
  workbench = new Workbench({ transport: 'http', version: 'test' })
  dispatch = createDispatcher(workbench.handlers())
  await workbench.load(fixture.dir)
}, 120_000)
afterAll(async () => {
  await workbench?.dispose()
  process.env = env
  rmSync(temp, { recursive: true, force: true })
  if (fixture) rmSync(fixture.dir, { recursive: true, force: true })
})

async function call<T>(method: string, request: unknown): Promise<T> {
  const res = (await dispatch(method as never, request as never)) as { ok: boolean; value: T; error?: unknown }
  if (!res.ok) throw new Error(`${method}: ${JSON.stringify(res.error)}`)
  return res.value
}

interface Entry {
  id: number
  score: number
  sense?: number
  tied?: TiedGroupInfo
}

/**
 * The collapsed list is the shown list without each group's later members, and as long: every
 * other entry keeps its score and order; each group's first member carries the group.
 */
function expectCollapsed(shown: Entry[], collapsed: Entry[], hidden: Set<number>, groupOf: (id: number) => number[] | undefined) {
  expect(collapsed).toHaveLength(shown.length)
  for (const e of collapsed) expect(hidden.has(e.id)).toBe(false)
  const kept = shown.filter((e) => !hidden.has(e.id))
  expect(collapsed.slice(0, kept.length).map(({ id, score, sense }) => ({ id, score, sense }))).toEqual(
    kept.map(({ id, score, sense }) => ({ id, score, sense })),
  )
  for (const e of collapsed) {
    const g = groupOf(e.id)
    if (g) expect(e.tied).toMatchObject({ size: g.length, sample: g.slice(0, 5).map((id) => ({ id })) })
    else expect(e.tied).toBeUndefined()
  }
  for (const e of shown) expect(e.tied).toBeUndefined()
}

describe('tied embedding rows', () => {
  const hiddenOf = () => new Set([fixture.unseen, fixture.pair, fixture.boosting].flatMap((g) => g.slice(1)))
  const groupOf = (id: number) => [fixture.unseen, fixture.pair, fixture.boosting].find((g) => g.includes(id))

  it('the atlas collapses each tied group into its first member, labelled; ties: "show" lists every token as before', async () => {
    const shown = await call<SenseLookupResponse>('senses.lookup', { word: ' nurse', topK: 12, ties: 'show' })
    const collapsed = await call<SenseLookupResponse>('senses.lookup', { word: ' nurse', topK: 12 })
    const hidden = hiddenOf()
    let listsWithBlock = 0
    for (const [l, card] of shown.senses.entries()) {
      for (const side of ['top', 'bottom'] as const) {
        if (card[side].filter((t) => hidden.has(t.id)).length >= 2) listsWithBlock++
        expectCollapsed(card[side], collapsed.senses[l][side], hidden, groupOf)
      }
      expect(collapsed.senses[l].summary).toEqual(card.summary)
    }
    expect(listsWithBlock).toBeGreaterThan(0) // the fixture puts the tied block in some lists
    const label = collapsed.senses.flatMap((c) => [...c.top, ...c.bottom]).find((t) => t.tied)?.tied
    expect(label).toMatchObject({ size: 9, neverSeen: true })
  })

  it('neighbours of a tied token collapse its group mates (cosine 1) into one labelled entry', async () => {
    const shown = await call<NeighboursResponse>('senses.neighbours', { word: ' MacBook', topK: 10, ties: 'show' })
    const collapsed = await call<NeighboursResponse>('senses.neighbours', { word: ' MacBook', topK: 10, ties: 'collapse' })
    const mates = shown.neighbours.filter((n) => fixture.unseen.includes(n.id))
    expect(mates).toHaveLength(8)
    expectCollapsed(shown.neighbours, collapsed.neighbours, hiddenOf(), groupOf)
    expect(collapsed.neighbours.filter((n) => n.tied)).toHaveLength(1)
  })

  it('reverse lookup collapses each (group, sense) into one entry with the same exact score', async () => {
    let sawBlock = 0
    // " the"'s boost list holds the `boosting` block; the others need no collapsing
    for (const [token, direction] of [
      [' the', 'boost'],
      [' the', 'suppress'],
      [' MacBook', 'boost'],
    ] as const) {
      const shown = await call<ReverseResponse>('senses.reverse', { token, direction, topK: 15, ties: 'show' })
      const collapsed = await call<ReverseResponse>('senses.reverse', { token, direction, topK: 15 })
      if (shown.entries.filter((e) => fixture.boosting.includes(e.id)).length >= 2) sawBlock++
      expectCollapsed(shown.entries, collapsed.entries, hiddenOf(), groupOf)
    }
    expect(sawBlock).toBeGreaterThan(0)
  })

  it('refuses an unknown ties mode with bad-request', async () => {
    expect(await dispatch('senses.lookup', { word: ' nurse', ties: 'hide' } as never)).toMatchObject({
      ok: false,
      error: { code: 'bad-request' },
    })
  })

  it('edits.validate warns about edits of tied or never-seen tokens; untied edits get no warning', async () => {
    const doc = (edits: unknown[]) => ({ format: 'backpack-sense-edits', version: 1, edits })
    const tied = await call<ValidatedEdits>('edits.validate', {
      document: doc([
        { kind: 'knowledge-edit', token: ' nurse', remove: ' Patriots', add: ' Colts' },
        { kind: 'scale-sense', token: ' MacBook', sense: 0, factor: 2 },
      ]),
    })
    expect(tied.warnings?.some((w) => w.startsWith('edit 0') && w.includes(JSON.stringify(' Colts')))).toBe(true)
    expect(tied.warnings?.some((w) => w.startsWith('edit 1') && w.includes(JSON.stringify(' MacBook')))).toBe(true)
    const plain = await call<ValidatedEdits>('edits.validate', {
      document: doc([{ kind: 'knowledge-edit', token: ' nurse', remove: ' she', add: ' he' }]),
    })
    expect(plain.warnings).toBeUndefined()
    expect(one(' Colts')).toBe(fixture.pair.find((id) => id === one(' Colts')))
  })

  it('the knowledge-edit suite explains the case whose edited token is tied and never seen, and the no-op whose add and remove rows are tied', async () => {
    const r = await call<KnowledgeEditView>('suites.knowledgeEdit', {})
    const macbook = r.cases.find((c) => c.name === 'MacBook→HP')
    expect(macbook?.explanation?.some((w) => w.includes(JSON.stringify(' MacBook')))).toBe(true)
    const colts = r.cases.filter((c) => c.name.includes('Colts'))
    expect(colts.length).toBeGreaterThan(0)
    for (const c of colts) {
      expect(c.senseChange.norm).toBe(0) // E[add] = E[remove]: the edit is a no-op, and the case says why
      expect(c.explanation?.some((w) => w.includes(JSON.stringify(' Colts')))).toBe(true)
    }
  }, 120_000)
})
