import { describe, expect, it } from 'vitest'
import { KNOWLEDGE_EDIT_MENTIONS } from '../../../src/main/suites/knowledge-edit-mentions'
import { knowledgeEditSuite, mentionDegradation } from '../../../src/main/suites/knowledge-edit-suite'
import { gpt2Tokenizer } from '../../../src/main/tokenizer/gpt2-tokenizer'
import { useEngine } from './engine-fixture'

const fixture = useEngine('tiny-fullvocab')

describe('knowledge-edit suite (tiny-fullvocab)', () => {
  it('runs both paper cases: probes, log-odds change, held-out perplexity and KL on unrelated prompts', async () => {
    const engine = fixture.engine()
    const r = await knowledgeEditSuite(engine)
    expect(r.cases.map((c) => c.name)).toEqual(['MacBook→HP', 'Brady→Colts'])
    expect(r.cases[0].ids).toEqual({ token: 28084, remove: 4196, add: 6574 })
    expect(r.cases[1].ids).toEqual({ token: 15260, remove: 13104, add: 20464 })
    for (const c of r.cases) {
      expect(c.prompts).toHaveLength(4)
      expect(c.senseChange.norm).toBeGreaterThan(0)
      expect(c.senseChange.relative).toBeGreaterThan(0)
      for (const p of c.prompts) {
        expect(p.logOddsChange).toBeCloseTo(Math.log(p.after.pAdd / p.after.pRemove) - Math.log(p.before.pAdd / p.before.pRemove), 10)
        expect(p.after.pAdd).not.toBe(p.before.pAdd) // every probe prompt holds the edited token
      }
      // no unrelated prompt and no held-out token is the edited token: a sense edit leaves them exactly unchanged
      expect(c.degradation.unrelated).toMatchObject({ prompts: 8, promptsWithEditedToken: 0 })
      expect(c.degradation.unrelated.maxKl).toBeLessThan(1e-9)
      expect(c.degradation.heldout.editedTokenOccurrences).toBe(0)
      expect(Math.abs(c.degradation.heldout.relativeChange)).toBeLessThan(1e-9)
      expect(c.degradation.heldout.perplexityBefore).toBeGreaterThan(1)
      // sentences that mention the edited token outside the edited fact: there the edit shows
      const m = c.degradation.mentions!
      expect(m).toMatchObject({ source: 'built-in', sentences: 5 })
      expect(m.perSentence).toHaveLength(5)
      expect(m.editedTokenOccurrences).toBeGreaterThanOrEqual(5)
      expect(m.positionsAfterEditedToken).toBeGreaterThan(0)
      expect(m.perplexityBefore).toBeGreaterThan(1)
      expect(Math.abs(m.relativeChange)).toBeGreaterThan(1e-7)
      expect(m.perplexityAfter).not.toBe(m.perplexityBefore)
      expect(m.meanKl).toBeGreaterThan(1e-9)
      expect(m.maxKl).toBeGreaterThanOrEqual(m.meanKl)
      for (const s of m.perSentence) expect(s.meanKl).toBeGreaterThan(0)
    }
  })

  it('every built-in mention sentence holds its edited token (the exact GPT-2 token, with its space)', () => {
    const tok = gpt2Tokenizer()
    expect(Object.keys(KNOWLEDGE_EDIT_MENTIONS).sort()).toEqual([' Brady', ' MacBook'])
    for (const [word, sentences] of Object.entries(KNOWLEDGE_EDIT_MENTIONS)) {
      const [id] = tok.encode(word)
      expect(sentences.length).toBeGreaterThanOrEqual(4)
      for (const s of sentences) expect(tok.encode(s)).toContain(id)
    }
  })

  it('mention figures are exactly 0 with no edit, and the token-free global figures stay exactly 0 under one', async () => {
    const engine = fixture.engine()
    const runner = fixture.runner()
    const tok = gpt2Tokenizer()
    const sentences = KNOWLEDGE_EDIT_MENTIONS[' MacBook'].map((text) => ({ text, ids: tok.encode(text) }))
    const none = await mentionDegradation(runner, 28084, sentences, null, null)
    expect(none.positionsAfterEditedToken).toBeGreaterThan(0)
    expect(none.meanKl).toBe(0)
    expect(none.maxKl).toBe(0)
    expect(none.relativeChange).toBe(0)
    expect(none.perplexityAfter).toBe(none.perplexityBefore)
    // the suite's knowledge edit moves them; before the first " MacBook" nothing can move
    const r = await knowledgeEditSuite(engine, {
      cases: [{ name: 'x', token: ' MacBook', remove: ' Apple', add: ' HP', prompts: ['The MacBook is made by'] }],
    })
    const m = r.cases[0].degradation.mentions!
    expect(m.meanKl).toBeGreaterThan(1e-9)
    expect(m.positionsAfterEditedToken).toBe(none.positionsAfterEditedToken)
    expect(r.cases[0].degradation.heldout.relativeChange).toBe(0)
    expect(r.cases[0].degradation.unrelated.maxKl).toBe(0)
  })

  it('takes given mention sentences, refuses one without the edited token, and reports null for a token with none', async () => {
    const engine = fixture.engine()
    const c = { name: 'x', token: ' MacBook', remove: ' Apple', add: ' HP', prompts: ['The MacBook is made by'] }
    const given = await knowledgeEditSuite(engine, { cases: [c], mentionSentences: { ' MacBook': ['My MacBook fan is loud.'] } })
    expect(given.cases[0].degradation.mentions).toMatchObject({ source: 'given', sentences: 1, editedTokenOccurrences: 1 })
    await expect(
      knowledgeEditSuite(engine, { cases: [c], mentionSentences: { ' MacBook': ['A laptop with a loud fan.'] } }),
    ).rejects.toThrow(/does not hold the edited token/)
    const none = await knowledgeEditSuite(engine, { cases: [c], mentionSentences: {} })
    expect(none.cases[0].degradation.mentions).toBeNull()
  })

  it('measures the log-odds change the formula predicts (independent float64 recomputation, 1e-4)', async () => {
    const engine = fixture.engine()
    const { numSenses: k, nEmbd: d } = engine.config
    const prompt = 'I typed this on my MacBook, a laptop by'
    const r = await knowledgeEditSuite(engine, {
      cases: [{ name: 'x', token: ' MacBook', remove: ' Apple', add: ' HP', prompts: [prompt] }],
      heldoutText: 'My old MacBook still works, and the MacBook keyboard is fine.',
    })
    const ids = gpt2Tokenizer().encode(prompt)
    const n = ids.length
    const alpha = await engine.contextualize(ids) // (sense, pos, pos)
    const C = await engine.senseVectors([28084]) // (1, sense, d)
    const [er, ea] = [await engine.embeddingRows([4196]), await engine.embeddingRows([6574])]
    const dotf = (a: ArrayLike<number>, b: ArrayLike<number>, ao = 0) =>
      Array.from({ length: d }, (_, c) => a[ao + c] * b[c]).reduce((x, y) => x + y, 0)
    const rr = dotf(er, er)
    const aa = dotf(ea, ea)
    // Δ(logit_add − logit_remove) = Σ_ℓ Σ_{j: x_j = MacBook} α[ℓ, n−1, j]·(C̃_ℓ − C_ℓ)·(e_a − e_r)
    let expected = 0
    for (let l = 0; l < k; l++) {
      const dots = dotf(C, er, l * d) / rr
      const deltaDotDiff = -dots * (dotf(er, ea) - rr) + dots * (rr / aa) * (aa - dotf(ea, er))
      ids.forEach((t, j) => {
        if (t === 28084) expected += alpha[(l * n + n - 1) * n + j] * deltaDotDiff
      })
    }
    const got = r.cases[0].prompts[0].logOddsChange
    expect(Math.abs(got - expected)).toBeLessThanOrEqual(1e-4 * Math.max(1, Math.abs(expected)))
    expect(Math.abs(expected)).toBeGreaterThan(1e-6)
    // held-out text with the edited token: its perplexity moves
    expect(r.cases[0].degradation.heldout.editedTokenOccurrences).toBe(2)
    expect(r.cases[0].degradation.heldout.source).toBe('given')
    expect(Math.abs(r.cases[0].degradation.heldout.relativeChange)).toBeGreaterThan(1e-7)
    // and the sense vectors it used are in the engine's one cache of C(x), shared with other callers
    expect((await engine.stats()).senseCacheSize).toBeGreaterThan(0)
  })

  it('rejects cases whose words are not single tokens', async () => {
    await expect(
      knowledgeEditSuite(fixture.engine(), {
        cases: [{ name: 'bad', token: ' MacBookPro', remove: ' Apple', add: ' HP', prompts: ['x'] }],
      }),
    ).rejects.toThrow(/must be one token/)
  })
})
