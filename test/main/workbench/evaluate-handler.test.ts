import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { decodeLogProbs, mergeEvaluations } from '../../../src/main/evaluation/evaluation-figures'
import { createDispatcher, type Dispatch } from '../../../src/main/workbench/create-dispatcher'
import { Workbench } from '../../../src/main/workbench/workbench'
import type { ApiEvent } from '../../../src/shared/ipc/api'
import type { EvaluateResponse } from '../../../src/shared/ipc/api-types'

// evaluate.run through the dispatcher every door uses, on the real engine (tiny-fullvocab).
const G = resolve('test/fixtures/golden/evaluate-tiny')
const golden = (f: string) => JSON.parse(readFileSync(join(G, f), 'utf8'))
const input = golden('input.json') as { documents: { name: string; text: string }[] }
const documents = input.documents.map(({ name, text }) => ({ name, text }))
const env = { ...process.env }
let dir = ''
let workbench: Workbench
let dispatch: Dispatch

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'bw-evaluate-'))
  Object.assign(process.env, { BACKPACK_CACHE_DIR: join(dir, 'cache'), BACKPACK_DATA_DIR: join(dir, 'data') })
  workbench = new Workbench({ transport: 'http', version: 'test' })
  dispatch = createDispatcher(workbench.handlers())
  await workbench.load(resolve('test/fixtures/checkpoints/tiny-fullvocab'))
})
afterAll(async () => {
  await workbench?.dispose()
  process.env = env
  rmSync(dir, { recursive: true, force: true })
})

async function evaluate(request: Record<string, unknown>): Promise<EvaluateResponse> {
  const res = await dispatch('evaluate.run', request)
  if (!res.ok) throw new Error(`${res.error.code}: ${res.error.message}`)
  return res.value as EvaluateResponse
}

describe('evaluate.run', () => {
  it('answers the reference figures per document and pooled, with every predicted log-prob, and reports progress by runId', async () => {
    const events: ApiEvent[] = []
    const off = workbench.events.subscribe((e) => e.name === 'run.progressed' && e.payload.runId === 'ev-1' && events.push(e))
    const r = await evaluate({ documents, runId: 'ev-1' })
    off()
    const want = golden('expected.json') as { documents: { tokens: number; logProbs: number[] }[] }
    expect(r.window).toBe(512)
    expect(r.edited).toBe(false)
    expect(r.documents.map((d) => [d.name, d.tokens, d.predicted])).toEqual(
      want.documents.map((d, i) => [documents[i].name, d.tokens, d.tokens - 1]),
    )
    r.documents.forEach((d, i) => {
      const ref = want.documents[i].logProbs.reduce((s, x) => s + x, 0)
      expect(Math.abs(d.sumLogProb - ref)).toBeLessThan(1e-5 * Math.abs(ref) + 1e-3)
      expect(d.meanLogProb).toBe(d.sumLogProb / d.predicted)
      expect(d.perplexity).toBe(Math.exp(-d.meanLogProb))
    })
    const sum = r.documents.reduce((s, d) => s + d.sumLogProb, 0)
    expect(r.total).toEqual({
      documents: 3,
      tokens: 1309,
      predicted: 1306,
      sumLogProb: sum,
      meanLogProb: sum / 1306,
      perplexity: Math.exp(-sum / 1306),
    })
    expect(decodeLogProbs(r)).toHaveLength(1306)
    const progress = events.map((e) => e.payload as { method: string; done: number; total: number })
    expect(progress.map((p) => p.done)).toEqual([511, 1022, 1060, 1299, 1306])
    expect(progress.every((p) => p.method === 'evaluate.run' && p.total === 1306)).toBe(true)
  })

  it('gives the per-token log-probs predict.next gives for a text of one window, with and without edits', async () => {
    const text = documents[2].text
    for (const edits of [undefined, golden('edits.json')]) {
      const r = await evaluate({ documents: [{ name: 's', text }], ...(edits ? { edits } : {}) })
      const p = await dispatch('predict.next', { text, ...(edits ? { edits } : {}) })
      if (!p.ok) throw new Error(p.error.message)
      const predicted = (p.value as { logProbs: { logProb: number }[] }).logProbs.map((l) => l.logProb)
      expect(predicted).toHaveLength(r.total.predicted)
      expect(Array.from(decodeLogProbs(r))).toEqual(Array.from(Float32Array.from(predicted)))
    }
  })

  it('scores under the edits as the reference does', async () => {
    const r = await evaluate({ documents, edits: golden('edits.json') })
    const want = golden('expected-edits.json') as { documents: { logProbs: number[] }[] }
    expect(r.edited).toBe(true)
    r.documents.forEach((d, i) => {
      const ref = want.documents[i].logProbs.reduce((s, x) => s + x, 0)
      expect(Math.abs(d.sumLogProb - ref)).toBeLessThan(1e-5 * Math.abs(ref) + 1e-3)
    })
  })

  it('stops with cancelled on run.cancel, and the run id is free again afterwards', async () => {
    let cancel: Promise<unknown> | undefined
    const off = workbench.events.subscribe((e) => {
      if (e.name === 'run.progressed' && e.payload.runId === 'ev-2' && !cancel) cancel = dispatch('run.cancel', { runId: 'ev-2' })
    })
    const res = await dispatch('evaluate.run', { documents, runId: 'ev-2' })
    off()
    expect(res).toMatchObject({ ok: false, error: { code: 'cancelled' } })
    expect(await cancel).toEqual({ ok: true, value: { cancelled: true } })
    expect(await dispatch('run.cancel', { runId: 'ev-2' })).toEqual({ ok: true, value: { cancelled: false } })
  })

  it('merges chunks of a corpus into exactly the local run, split in 2 and in 3', async () => {
    const corpus = [
      documents[1],
      documents[2],
      { name: 'c.txt', text: 'A river bank is the land beside a river.' },
      { name: 'd.txt', text: 'She put her savings in the bank.' },
    ]
    const local = await evaluate({ documents: corpus })
    const figures = (r: EvaluateResponse) =>
      JSON.stringify({ documents: r.documents, total: r.total, window: r.window, logProbs: r.logProbs, edited: r.edited })
    for (const cuts of [[2], [1, 3]]) {
      const bounds = [0, ...cuts, corpus.length]
      const chunks = []
      for (let i = 0; i + 1 < bounds.length; i++) chunks.push(await evaluate({ documents: corpus.slice(bounds[i], bounds[i + 1]) }))
      // through JSON, as chunk results come back from queue workers
      const merged = mergeEvaluations(chunks.map((c) => JSON.parse(JSON.stringify(c)) as EvaluateResponse))
      expect(figures(merged)).toBe(figures(local))
      expect(Object.keys(merged.timingsMs).sort()).toEqual(Object.keys(local.timingsMs).sort())
    }
  })

  it('refuses bad documents and edits with typed errors', async () => {
    const code = async (request: unknown) => {
      const res = await dispatch('evaluate.run', request)
      return res.ok ? 'ok' : res.error.code
    }
    expect(await code({ documents: [] })).toBe('bad-request')
    expect(await code({ documents: [{ name: 'blank.txt', text: ' \n\t ' }] })).toBe('bad-request')
    expect(await code({ documents: [{ name: 'binary.bin', text: 'PK\u0003\u0004\uFFFD\uFFFD' }] })).toBe('bad-request')
    expect(await code({ documents: [{ name: 'surrogate.txt', text: 'a\uD800b' }] })).toBe('bad-request')
    expect(await code({ documents: [{ name: 'one-token.txt', text: 'the' }] })).toBe('bad-request')
    expect(
      await code({
        documents: [{ name: 'ok.txt', text: 'The bank of the river.' }],
        edits: { format: 'backpack-sense-edits', version: 1, edits: [{ kind: 'scale-sense', token: 262, sense: 9, factor: 2 }] },
      }),
    ).toBe('edit-invalid')
    const big = 'word '.repeat(200_000) // 1,000,000 characters, the most one document may have
    expect(await code({ documents: Array.from({ length: 9 }, (_, i) => ({ name: `big-${i}.txt`, text: big })) })).toBe('too-long')
    expect(await code({ documents: [{ name: 'x', text: 'a'.repeat(1_000_001) }] })).toBe('bad-request')
  })

  it('answers unavailable without a model', async () => {
    const bare = new Workbench({ transport: 'http', version: 'test' })
    try {
      expect(await createDispatcher(bare.handlers())('evaluate.run', { documents })).toMatchObject({
        ok: false,
        error: { code: 'unavailable' },
      })
    } finally {
      await bare.dispose()
    }
  })
})

describe('mergeEvaluations', () => {
  const chunk = (window: number, edited: boolean, predicted: number[], logProbs: number[]): EvaluateResponse => ({
    documents: predicted.map((p, i) => ({
      name: `d${i}`,
      tokens: p + 1,
      predicted: p,
      sumLogProb: -p,
      meanLogProb: -1,
      perplexity: Math.E,
    })),
    total: { documents: predicted.length, tokens: 0, predicted: 0, sumLogProb: 0, meanLogProb: 0, perplexity: 0 },
    window,
    logProbs: Buffer.from(Float32Array.from(logProbs).buffer).toString('base64'),
    edited,
    timingsMs: { total: 1 },
  })
  it('derives the pooled figures again from the documents, summing timings', () => {
    const m = mergeEvaluations([chunk(512, false, [2], [-1, -1]), chunk(512, false, [1, 1], [-1, -1])])
    expect(m.total).toEqual({ documents: 3, tokens: 7, predicted: 4, sumLogProb: -4, meanLogProb: -1, perplexity: Math.E })
    expect(Array.from(decodeLogProbs(m))).toEqual([-1, -1, -1, -1])
    expect(m.timingsMs).toEqual({ total: 2 })
  })
  it('refuses no chunks, chunks of another window or edit state, and log-probs that do not match the counts', () => {
    expect(() => mergeEvaluations([])).toThrow(expect.objectContaining({ code: 'bad-request' }))
    expect(() => mergeEvaluations([chunk(512, false, [1], [-1]), chunk(1024, false, [1], [-1])])).toThrow(
      expect.objectContaining({ code: 'bad-request' }),
    )
    expect(() => mergeEvaluations([chunk(512, false, [1], [-1]), chunk(512, true, [1], [-1])])).toThrow(
      expect.objectContaining({ code: 'bad-request' }),
    )
    expect(() => mergeEvaluations([chunk(512, false, [2], [-1])])).toThrow(expect.objectContaining({ code: 'bad-request' }))
  })
})
