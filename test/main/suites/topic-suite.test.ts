import { describe, expect, it } from 'vitest'
import { generate } from '../../../src/main/generation/generate'
import { parseSenseEditsFor } from '../../../src/main/interventions/apply-sense-edits'
import { predictTokens } from '../../../src/main/prediction/predict-tokens'
import { topicSuite } from '../../../src/main/suites/topic-suite'
import { useEngine } from './engine-fixture'

/**
 * The topic suite end to end on small-bin (vocab 512, 16 senses): its whole-vocabulary sense
 * table (needed by topic edits) takes a moment, where tiny-fullvocab's (50264² projections)
 * takes minutes on two cores. The bags are words whose GPT-2 tokens fit the 512-token vocabulary.
 */
const fixture = useEngine('small-bin')

describe('topic suite (small-bin)', () => {
  it('generates from <|endoftext|> per topic and strength and reports bag mass, bag share and unedited perplexity', async () => {
    const engine = fixture.engine()
    const user = parseSenseEditsFor(engine, {
      format: 'backpack-sense-edits',
      version: 1,
      edits: [{ kind: 'scale-sense', token: 17, factor: 0.5 }],
    }).edits
    const r = await topicSuite(engine, {
      topics: [
        { name: 'function-words', words: ['the', 'and', 'of'] },
        { name: 'to-in', words: ['to', 'in'] },
      ],
      strengths: [0, 3],
      samples: 2,
      maxNewTokens: 12,
      seed: 4,
      edits: user,
      prompt: [0],
    })
    expect(r.settings).toMatchObject({ prompt: [0], samples: 2, maxNewTokens: 12, seed: 4, strengths: [0, 3] })
    expect(r.topics.map((t) => t.topic)).toEqual(['function-words', 'to-in'])
    expect(r.topics[0].bag.map((b) => b.id)).toEqual([262, 286, 290])
    expect(r.edited).toBe(true)
    const runner = fixture.runner()
    for (const t of r.topics) {
      expect(t.results.map((x) => x.strength)).toEqual([0, 3])
      for (const s of t.results) {
        expect(s.samples).toHaveLength(2)
        expect(s.bagMass).toBeGreaterThan(0)
        expect(s.bagMass).toBeLessThan(1)
        expect(s.bagShare).toBeGreaterThanOrEqual(0)
        expect(s.bagShare).toBeLessThanOrEqual(1)
        expect(s.generatedTokens).toBeGreaterThan(0)
      }
      // independent check of one setting: regenerate sample 0 and score it with predictTokens on the plain model
      const strength3 = t.results[1]
      const edits = parseSenseEditsFor(engine, {
        format: 'backpack-sense-edits',
        version: 1,
        edits: [...user.document.edits, { kind: 'topic', words: t.topic === 'to-in' ? ['to', 'in'] : ['the', 'and', 'of'], strength: 3 }],
      }).edits
      let nll = 0
      let count = 0
      let hits = 0
      for (const seed of [4, 5]) {
        const g = await generate(engine, { ids: [0], maxNewTokens: 12, strategy: 'sample', seed, edits })
        const p = await predictTokens(runner, [0, ...g.ids], { top: 1 })
        for (const lp of p.logProbs) nll -= lp.logProb
        count += g.ids.length
        hits += g.ids.filter((id) => t.bag.some((b) => b.id === id)).length
      }
      expect(strength3.samples?.map((s) => s.seed)).toEqual([4, 5])
      expect(strength3.generatedTokens).toBe(count)
      expect(Math.abs(strength3.perplexity / Math.exp(nll / count) - 1)).toBeLessThan(1e-5)
      expect(strength3.bagShare).toBeCloseTo(hits / count, 12)
    }
    // the edit steers towards the bag: more bag mass at strength 3 than at 0, for every topic
    for (const t of r.topics) expect(t.results[1].bagMass).toBeGreaterThan(t.results[0].bagMass)
    expect(r.summary.map((s) => s.strength)).toEqual([0, 3])
    expect(r.summary[1].bagMass).toBeCloseTo((r.topics[0].results[1].bagMass + r.topics[1].results[1].bagMass) / 2, 12)
  })

  it("with a longer prompt, counts and scores only the generated tokens (not the prompt's)", async () => {
    const engine = fixture.engine()
    const prompt = [0, 5, 17]
    const r = await topicSuite(engine, {
      topics: [{ name: 'function-words', words: ['the', 'and', 'of'] }],
      strengths: [3],
      samples: 2,
      maxNewTokens: 6,
      seed: 9,
      prompt,
    })
    const [setting] = r.topics[0].results
    const edits = parseSenseEditsFor(engine, {
      format: 'backpack-sense-edits',
      version: 1,
      edits: [{ kind: 'topic', words: ['the', 'and', 'of'], strength: 3 }],
    }).edits
    const runner = fixture.runner()
    let nll = 0
    let count = 0
    let hits = 0
    for (const seed of [9, 10]) {
      const g = await generate(engine, { ids: prompt, maxNewTokens: 6, strategy: 'sample', seed, edits })
      const p = await predictTokens(runner, [...prompt, ...g.ids], { top: 1 })
      for (const lp of p.logProbs.slice(prompt.length - 1)) nll -= lp.logProb // the generated tokens' only
      count += g.ids.length
      hits += g.ids.filter((id) => [262, 286, 290].includes(id)).length
    }
    expect(count).toBeGreaterThan(0)
    expect(setting.generatedTokens).toBe(count)
    expect(Math.abs(setting.perplexity / Math.exp(nll / count) - 1)).toBeLessThan(1e-5)
    expect(setting.bagShare).toBeCloseTo(hits / count, 12)
  })

  it('rejects unknown topics and bad settings', async () => {
    const engine = fixture.engine()
    await expect(topicSuite(engine, { topics: ['cooking'] })).rejects.toThrow(/unknown topic "cooking"/)
    await expect(topicSuite(engine, { strengths: [4 as 3] })).rejects.toThrow(/strength/)
    await expect(topicSuite(engine, { samples: 0 })).rejects.toThrow(/samples/)
  })
})
