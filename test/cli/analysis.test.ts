import { describe, expect, it } from 'vitest'
import { gpt2Tokenizer } from '../../src/main/tokenizer/gpt2-tokenizer'
import { cli, TINY, useTempCache } from './cli-harness'

/** senses, neighbours, reverse through the CLI, in-process, on the full-vocabulary tiny fixture. */
const CKPT = TINY

type Scored = { id: number; text: string; score: number }

useTempCache()

describe('cli senses', () => {
  it('prints the atlas: policy, tokens, per-sense top/bottom real tokens, distribution', async () => {
    const r = await cli(['senses', '--word', 'nurse', '--top', '3', '--checkpoint', CKPT])
    expect(r.code, r.stderr).toBe(0)
    const j = r.json()
    expect(j).toMatchObject({ word: 'nurse', text: ' nurse', policy: 'first', used: [15849], tokens: [{ id: 15849, text: ' nurse' }] })
    expect(j.senses).toHaveLength(4)
    for (const s of j.senses) {
      expect(s.top).toHaveLength(3)
      const tops = s.top.map((t: Scored) => t.score)
      expect(tops).toEqual([...tops].sort((a, b) => b - a))
      expect(s.bottom[0].score).toBe(s.summary.min)
      expect(s.top[0].score).toBe(s.summary.max)
      for (const t of [...s.top, ...s.bottom]) expect(t.id).toBeLessThan(50257)
      expect(s.summary.histogram.counts.reduce((a: number, b: number) => a + b, 0)).toBe(50257)
      expect(s.summary.quantiles.q25).toBeLessThanOrEqual(s.summary.quantiles.q75)
    }
  })

  it('says which tokens a multi-token word used under each policy', async () => {
    const ids = gpt2Tokenizer().encode(' carpenter')
    const first = (await cli(['senses', '--word', 'carpenter', '--top', '1', '--checkpoint', CKPT])).json()
    const mean = (await cli(['senses', '--word', 'carpenter', '--top', '1', '--policy', 'mean', '--checkpoint', CKPT])).json()
    expect(first).toMatchObject({ multiToken: true, policy: 'first', used: [ids[0]] })
    expect(mean).toMatchObject({ multiToken: true, policy: 'mean', used: ids })
    expect(mean.senses[0].top[0].score).not.toBe(first.senses[0].top[0].score)
  })

  it('rejects a missing word and a bad policy as usage errors', async () => {
    expect((await cli(['senses', '--checkpoint', CKPT])).code).toBe(2)
    const r = await cli(['senses', '--word', 'x', '--policy', 'last', '--checkpoint', CKPT])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/^error\[bad-request\]/)
  })
})

describe('cli reverse and neighbours (whole-vocabulary table)', () => {
  it('builds the table once with progress on stderr, then answers from the cache', async () => {
    const boost = await cli(['reverse', '--token', ' she', '--top', '5', '--checkpoint', CKPT])
    expect(boost.code, boost.stderr).toBe(0)
    expect(boost.stderr).toMatch(/sense table \(senses\): 50264\/50264 tokens/)
    const j = boost.json()
    expect(j).toMatchObject({ target: { id: 673, text: ' she' }, direction: 'boost' })
    expect(j.entries).toHaveLength(5)
    const scores = j.entries.map((e: Scored) => e.score)
    expect(scores).toEqual([...scores].sort((a, b) => b - a))
    const suppress = await cli(['reverse', '--token', '673', '--top', '5', '--suppress', '--checkpoint', CKPT])
    expect(suppress.stderr).not.toMatch(/sense table/) // cached on disk
    const s = suppress.json()
    expect(s.direction).toBe('suppress')
    expect(s.entries[0].score).toBeLessThan(0)
    expect(s.entries[0].score).toBeLessThan(scores[4])
  })

  it('neighbours by one sense and by Sim_min', async () => {
    const one = await cli(['neighbours', '--word', 'nurse', '--sense', '2', '--top', '4', '--checkpoint', CKPT])
    expect(one.code, one.stderr).toBe(0)
    const j = one.json()
    expect(j.measure).toBe(2)
    expect(j.neighbours).toHaveLength(4)
    for (const n of j.neighbours) {
      expect(n.id).not.toBe(15849)
      expect(Math.abs(n.score)).toBeLessThanOrEqual(1.001)
    }
    const min = (await cli(['neighbours', '--word', 'nurse', '--min', '--top', '2', '--checkpoint', CKPT])).json()
    expect(min.measure).toBe('min')
    for (const n of min.neighbours) expect(n.score).toBeCloseTo(Math.min(...n.perSense), 6)
  })

  it('rejects a multi-token --token and an out-of-range --sense', async () => {
    const r = await cli(['reverse', '--token', ' carpenter', '--checkpoint', CKPT])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/2 tokens/)
    expect((await cli(['neighbours', '--word', 'nurse', '--sense', '4', '--checkpoint', CKPT])).code).toBe(2)
  })
})
