import { describe, expect, it } from 'vitest'
import { senseAtlas } from '../../../src/main/senses/sense-atlas'
import { gpt2Tokenizer } from '../../../src/main/tokenizer/gpt2-tokenizer'
import { ArrayEngine } from '../interventions/array-engine'

describe('senseAtlas', () => {
  const engine = new ArrayEngine(50264, 3, 4, 11)
  const { numSenses: k, nEmbd: d } = engine.config
  const score = (vec: ArrayLike<number>, v: number) => {
    let s = 0
    for (let c = 0; c < d; c++) s += engine.E[v * d + c] * vec[c]
    return s
  }

  it('ranks E·C over the real tokens exactly as a full sort does, for every sense', async () => {
    const atlas = await senseAtlas(engine, 'nurse', { top: 5 })
    const id = gpt2Tokenizer().encode(' nurse')[0]
    expect(atlas).toMatchObject({ text: ' nurse', policy: 'first', used: [id], multiToken: false })
    expect(atlas.senses).toHaveLength(k)
    for (const card of atlas.senses) {
      const c = engine.C.subarray((id * k + card.sense) * d, (id * k + card.sense + 1) * d)
      const all = Array.from({ length: 50257 }, (_, v) => Math.fround(score(c, v)))
      const sorted = [...all].sort((a, b) => b - a)
      card.top.forEach((t, i) => expect(t.score).toBeCloseTo(sorted[i], 5))
      card.bottom.forEach((t, i) => expect(t.score).toBeCloseTo(sorted[sorted.length - 1 - i], 5))
      for (const t of [...card.top, ...card.bottom]) expect(t.id).toBeLessThan(50257)
      expect(card.summary.histogram.counts.reduce((a, b) => a + b, 0)).toBe(50257)
      expect(card.summary.quantiles.q50).toBeCloseTo(sorted[25128], 5)
      expect(card.summary.min).toBeCloseTo(sorted[50256], 5)
    }
  })

  it('reports the multi-token policy and all tokens; "mean" averages the subword senses', async () => {
    const first = await senseAtlas(engine, 'carpenter', { top: 3 })
    const tokens = gpt2Tokenizer().encode(' carpenter')
    expect(tokens.length).toBeGreaterThan(1)
    expect(first.tokens.map((t) => t.id)).toEqual(tokens)
    expect(first.used).toEqual([tokens[0]])
    const mean = await senseAtlas(engine, 'carpenter', { top: 3, policy: 'mean', includeVectors: true })
    expect(mean.used).toEqual(tokens)
    const want = Array.from({ length: d }, (_, c) => tokens.reduce((s, t) => s + engine.C[t * k * d + c] / tokens.length, 0))
    mean.vectors![0].forEach((x, c) => expect(x).toBeCloseTo(want[c], 6))
  })

  it('takes the word as given with rawSpacing, and rejects bad options', async () => {
    const raw = await senseAtlas(engine, 'nurse', { rawSpacing: true, top: 1 })
    expect(raw.tokens.map((t) => t.id)).toEqual(gpt2Tokenizer().encode('nurse'))
    await expect(senseAtlas(engine, 'nurse', { top: 0 })).rejects.toMatchObject({ code: 'bad-request' })
    await expect(senseAtlas(new ArrayEngine(100, 2, 4), 'nurse')).rejects.toMatchObject({ code: 'not-found' })
  })
})
