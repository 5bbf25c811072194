import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDispatcher, type Dispatch } from '../../../src/main/workbench/create-dispatcher'
import { resolveWord } from '../../../src/main/senses/resolve-word'
import { cli } from '../../cli/cli-harness'
import { Workbench } from '../../../src/main/workbench/workbench'
import type { ApiEvent } from '../../../src/shared/ipc/api'

// The real service on the tiny full-vocabulary fixture: engine in its worker, temp cache and store.
const env = { ...process.env }
let workbench: Workbench
let dispatch: Dispatch

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bw-workbench-'))
  Object.assign(process.env, { BACKPACK_CACHE_DIR: join(dir, 'cache'), BACKPACK_DATA_DIR: join(dir, 'data') })
  workbench = new Workbench({ transport: 'http', version: 'test' })
  dispatch = createDispatcher(workbench.handlers())
  await workbench.load(resolve('test/fixtures/checkpoints/tiny-fullvocab'))
})
afterAll(async () => {
  await workbench?.dispose()
  process.env = env
})

describe('Workbench', () => {
  it('cancels a reverse lookup while the sense table builds, and reports progress for its runId', async () => {
    const events: ApiEvent[] = []
    const firstProgress = new Promise<void>((res) =>
      workbench.events.subscribe((e) => {
        events.push(e)
        if (e.name === 'run.progressed' && e.payload.runId === 'rev-1' && e.payload.done > 0) res()
      }),
    )
    const pending = dispatch('senses.reverse', { token: ' she', runId: 'rev-1' })
    await firstProgress
    expect(await dispatch('run.cancel', { runId: 'rev-1' })).toEqual({ ok: true, value: { cancelled: true } })
    expect(await pending).toMatchObject({ ok: false, error: { code: 'cancelled' } })
    expect(await dispatch('run.cancel', { runId: 'rev-1' })).toEqual({ ok: true, value: { cancelled: false } })
    const p = events.find((e) => e.name === 'run.progressed')!.payload as { method: string; total: number }
    expect(p).toMatchObject({ method: 'senses.reverse', total: 50264 })
  })

  it('reports the topic scores build of a first topic suite as progress of its runId, and cancels it', async () => {
    const events: { message?: string; method: string; done: number; total: number }[] = []
    const tableProgress = new Promise<void>((res) =>
      workbench.events.subscribe((e) => {
        if (e.name !== 'run.progressed' || e.payload.runId !== 'topic-1') return
        events.push(e.payload)
        if (e.payload.message?.startsWith('sense table')) res()
      }),
    )
    const pending = dispatch('suites.topic', { topics: ['sports'], strengths: [1], samples: 1, maxNewTokens: 2, runId: 'topic-1' })
    await tableProgress
    expect(await dispatch('run.cancel', { runId: 'topic-1' })).toEqual({ ok: true, value: { cancelled: true } })
    expect(await pending).toMatchObject({ ok: false, error: { code: 'cancelled' } })
    expect(events.find((p) => p.message?.startsWith('sense table'))).toMatchObject({
      method: 'suites.topic',
      message: 'sense table (scores)',
      total: 50264,
    })
  })

  it('refuses edits that do not fit the loaded model with edit-invalid, and attributes exactly under valid ones', async () => {
    const bad = { format: 'backpack-sense-edits', version: 1, edits: [{ kind: 'scale-sense', token: ' nurse', sense: 7, factor: 0 }] } // 4 senses
    expect(await dispatch('predict.next', { text: 'The nurse', edits: bad })).toMatchObject({ ok: false, error: { code: 'edit-invalid' } })
    const good = { ...bad, edits: [{ kind: 'scale-sense', token: ' nurse', sense: 1, factor: 3 }] }
    const res = (await dispatch('predict.attribute', { text: 'The nurse said', position: 2, target: ' that', edits: good })) as {
      ok: true
      value: { logit: number; total: number; edited: boolean; contributions: { value: number }[] }
    }
    expect(res.ok).toBe(true)
    expect(res.value.edited).toBe(true)
    expect(res.value.contributions).toHaveLength(3 * 4) // 3 source positions × 4 senses
    expect(Math.abs(res.value.total - res.value.logit)).toBeLessThan(1e-4 * Math.max(1, Math.abs(res.value.logit)))
  })

  it('edits.blastRadius names the topic and α edits its bounds do not cover', async () => {
    const doc = {
      format: 'backpack-sense-edits',
      version: 1,
      edits: [
        { kind: 'scale-sense', token: ' nurse', sense: 1, factor: 0 },
        { kind: 'topic', topic: 'sports', strength: 2 },
        { kind: 'scale-contextualization', position: 0, factor: 2 },
      ],
    }
    const res = await dispatch('edits.blastRadius', {
      document: doc,
      pairs: [
        { a: ' he', b: ' she' },
        { a: ' the', b: ' a' },
      ],
    })
    expect(res.ok).toBe(true)
    const value = (res as { ok: true; value: { pairs: { maxIncrease: number; maxDecrease: number }[]; notCovered: unknown } }).value
    expect(value.notCovered).toEqual([
      { index: 1, kind: 'topic' },
      { index: 2, kind: 'scale-contextualization' },
    ])
    expect(value.pairs).toHaveLength(2)
    expect(value.pairs[0].maxIncrease).toBeGreaterThanOrEqual(0)
    expect(value.pairs[0].maxDecrease).toBeLessThanOrEqual(0)
    // only vector edits: every edit is covered
    const covered = await dispatch('edits.blastRadius', {
      document: { ...doc, edits: doc.edits.slice(0, 1) },
      pairs: [{ a: ' he', b: ' she' }],
    })
    expect(covered).toMatchObject({ ok: true, value: { notCovered: [] } })
  })

  it('edits.blastRadius answers many pairs with the numbers of each pair asked alone', async () => {
    const edits = [
      ...Array.from({ length: 40 }, (_, i) => ({ kind: 'scale-sense', token: 1000 + 37 * i, sense: i % 4, factor: i % 3 === 0 ? 0 : 2.5 })),
      { kind: 'knowledge-edit', token: ' nurse', remove: ' she', add: ' he' },
      { kind: 'add-sense', token: ' doctor', sense: 2, from: { token: ' nurse', sense: 1 }, factor: -1 },
    ]
    const document = { format: 'backpack-sense-edits', version: 1, edits }
    const pairs = [
      { a: ' he', b: ' she' },
      { a: ' the', b: ' a' },
      { a: 464, b: 11 },
      { a: ' he', b: ' she' },
      { a: ' she', b: ' he' },
    ]
    const all = (await dispatch('edits.blastRadius', { document, pairs })) as { ok: true; value: { pairs: unknown[] } }
    expect(all.ok).toBe(true)
    for (const [i, pair] of pairs.entries()) {
      const alone = (await dispatch('edits.blastRadius', { document, pairs: [pair] })) as { ok: true; value: { pairs: unknown[] } }
      expect(all.value.pairs[i]).toEqual(alone.value.pairs[0])
    }
    const [heShe, , , again, sheHe] = all.value.pairs as { maxIncrease: number; maxDecrease: number }[]
    expect(again).toEqual(heShe)
    expect(heShe.maxIncrease).toBeGreaterThan(0)
    expect(sheHe.maxIncrease).toBeCloseTo(-heShe.maxDecrease, 5)
  })

  it('cancels edits.blastRadius by its runId with a typed cancelled error, after reporting progress', async () => {
    // 2,000 edited tokens × 100 pairs: several blocks of work, a progress event after each
    const edits = Array.from({ length: 2000 }, (_, i) => ({ kind: 'scale-sense', token: 500 + 11 * i, sense: i % 4, factor: 0.5 }))
    const pairs = Array.from({ length: 100 }, (_, i) => ({ a: 300 + i, b: 900 + i }))
    const progressed: { done: number; total: number; method: string }[] = []
    const firstProgress = new Promise<void>((res) =>
      workbench.events.subscribe((e) => {
        if (e.name !== 'run.progressed' || e.payload.runId !== 'br-1') return
        progressed.push(e.payload)
        res()
      }),
    )
    const pending = dispatch('edits.blastRadius', { document: { format: 'backpack-sense-edits', version: 1, edits }, pairs, runId: 'br-1' })
    await Promise.race([firstProgress, pending])
    expect(await dispatch('run.cancel', { runId: 'br-1' })).toEqual({ ok: true, value: { cancelled: true } })
    expect(await pending).toMatchObject({ ok: false, error: { code: 'cancelled' } })
    expect(progressed[0]).toMatchObject({ method: 'edits.blastRadius', total: 2000 })
    expect(progressed.at(-1)!.done).toBeLessThan(2000)
    // the run is gone once it ended
    expect(await dispatch('run.cancel', { runId: 'br-1' })).toEqual({ ok: true, value: { cancelled: false } })
  })

  it('suites.knowledgeEdit carries the mention figures next to the global ones', async () => {
    const res = await dispatch('suites.knowledgeEdit', {})
    expect(res.ok).toBe(true)
    const { cases } = (
      res as {
        ok: true
        value: {
          cases: {
            degradation: { unrelated: { maxKl: number }; mentions: { sentences: number; meanKl: number; relativeChange: number } | null }
          }[]
        }
      }
    ).value
    expect(cases).toHaveLength(2)
    for (const c of cases) {
      expect(c.degradation.unrelated.maxKl).toBe(0)
      expect(c.degradation.mentions?.sentences).toBe(5)
      expect(c.degradation.mentions?.meanKl).toBeGreaterThan(0)
      expect(c.degradation.mentions?.relativeChange).not.toBe(0)
    }
  })

  it('refuses a prompt longer than the model takes with too-long', async () => {
    expect(await dispatch('predict.next', { text: ' the'.repeat(600) })).toMatchObject({ ok: false, error: { code: 'too-long' } })
  })

  it("senses.lookup carries the CLI senses command's word resolution: tokens, policy, used and multiToken", async () => {
    for (const word of ['antidisestablishmentarianism', ' nurse']) {
      const res = (await dispatch('senses.lookup', { word, topK: 2 })) as { ok: true; value: Record<string, unknown> }
      expect(res.ok).toBe(true)
      const { word: w, text, tokens, policy, used, multiToken } = resolveWord(word, 50264)
      expect(res.value).toMatchObject({ word: w, text, tokens, policy, used, multiToken })
    }
    const multi = (await dispatch('senses.lookup', { word: 'antidisestablishmentarianism' })) as {
      ok: true
      value: { multiToken: boolean; tokens: unknown[]; used: number[] }
    }
    expect(multi.value.multiToken).toBe(true)
    expect(multi.value.tokens.length).toBeGreaterThan(1)
    expect(multi.value.used).toHaveLength(1)
  })

  it("senses.lookup takes the CLI senses command's --policy: mean gives the CLI's words, vectors and cards; a bad policy is a bad-request naming the allowed values", async () => {
    const word = 'antidisestablishmentarianism'
    type Card = { sense: number; norm: number; top: unknown[]; bottom: unknown[]; summary: unknown }
    const mean = (await dispatch('senses.lookup', { word, topK: 3, policy: 'mean' })) as {
      ok: true
      value: Record<string, unknown> & { senses: Card[] }
    }
    expect(mean.ok).toBe(true)
    const { text, tokens, policy, used, multiToken } = resolveWord(word, 50264, { policy: 'mean' })
    expect(used.length).toBeGreaterThan(1)
    expect(mean.value).toMatchObject({ word, text, tokens, policy, used, multiToken })
    // the CLI on the same checkpoint: the same cards, and each card's norm is its mean vector's
    const out = await cli([
      'senses',
      '--word',
      word,
      '--top',
      '3',
      '--policy',
      'mean',
      '--vectors',
      '--checkpoint',
      resolve('test/fixtures/checkpoints/tiny-fullvocab'),
    ])
    expect(out.code, out.stderr).toBe(0)
    const viaCli = out.json() as { policy: string; used: number[]; senses: Card[]; vectors: number[][] }
    expect(viaCli).toMatchObject({ policy: 'mean', used })
    expect(mean.value.senses).toEqual(viaCli.senses.map(({ sense, norm, top, bottom, summary }) => ({ sense, norm, top, bottom, summary })))
    expect(viaCli.vectors).toHaveLength(mean.value.senses.length)
    viaCli.vectors.forEach((v, i) => expect(mean.value.senses[i].norm).toBeCloseTo(Math.sqrt(v.reduce((a, x) => a + x * x, 0)), 5))
    // and not the first token's senses (the default)
    const first = (await dispatch('senses.lookup', { word, topK: 3 })) as { ok: true; value: { policy: string; senses: Card[] } }
    expect(first.value.policy).toBe('first')
    expect(first.value.senses.map((c) => c.norm)).not.toEqual(mean.value.senses.map((c) => c.norm))
    const bad = await dispatch('senses.lookup', { word, policy: 'last' })
    expect(bad).toMatchObject({ ok: false, error: { code: 'bad-request' } })
    expect((bad as { error: { message: string } }).error.message).toMatch(/policy.*"first".*"mean"/)
  })
})
