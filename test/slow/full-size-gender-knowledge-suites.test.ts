import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ensureFullSizeCheckpoint } from '../../tools/bench/full-size-checkpoint'
import { openEngine } from '../../src/main/runtime/open-engine'
import type { WorkerEngine } from '../../src/main/runtime/worker-engine'
import { genderBiasSuite } from '../../src/main/suites/gender-bias-suite'
import { knowledgeEditSuite } from '../../src/main/suites/knowledge-edit-suite'

// Issue 4: the gender-bias and knowledge-edit suites end to end on the full-size model (random
// weights, so the figures say nothing about the paper's; they are printed for the record).
// About 40 s together on the 2-core box. The topic suite's full-size run is in its own file.
describe('full-size suites: gender bias and knowledge edit', () => {
  let engine: WorkerEngine

  beforeAll(async () => {
    engine = await openEngine({ checkpointDir: ensureFullSizeCheckpoint((l) => console.log(l)).dir })
  })

  afterAll(async () => {
    await engine?.dispose()
  })

  it('gender bias: 30 single-token professions × 13 test prompts, Remove-Sense10 and Optimize-Sense10', async () => {
    const t0 = performance.now()
    const r = await genderBiasSuite(engine)
    console.log(`gender-bias (full size, ${((performance.now() - t0) / 1000).toFixed(1)} s): ${JSON.stringify(r.settings)}`)
    expect(r.sense).toBe(10)
    expect(r.professions.used).toHaveLength(30)
    expect(r.prompts).toEqual({ test: 13, train: 5 })
    for (const p of r.perProfession) {
      // bias = exp(|logit(he) − logit(she)|) ≥ 1 in every setting
      for (const v of [p.unmodified, p.removeSense, p.optimizeSense as number]) expect(v).toBeGreaterThanOrEqual(1)
      expect(Number.isFinite(p.w)).toBe(true)
      expect(p.fit?.evaluations).toBeGreaterThan(1)
    }
  })

  it('knowledge edit: MacBook→HP and Brady→Colts move the probes; text without the edited token is unchanged exactly', async () => {
    const t0 = performance.now()
    const r = await knowledgeEditSuite(engine)
    console.log(
      `knowledge-edit (full size, ${((performance.now() - t0) / 1000).toFixed(1)} s): ${JSON.stringify(r.cases.map((c) => ({ name: c.name, senseChange: c.senseChange, mean: c.mean, degradation: c.degradation })))}`,
    )
    expect(r.cases.map((c) => c.name)).toEqual(['MacBook→HP', 'Brady→Colts'])
    for (const c of r.cases) {
      expect(c.senseChange.norm).toBeGreaterThan(0)
      expect(Number.isFinite(c.mean.logOddsChange)).toBe(true)
      // some probe's log-odds moved: the edit reached the logits
      expect(c.prompts.some((p) => Math.abs(p.logOddsChange) > 1e-6)).toBe(true)
      const { heldout, unrelated } = c.degradation
      if (heldout.editedTokenOccurrences === 0) expect(heldout.perplexityAfter).toBe(heldout.perplexityBefore)
      if (unrelated.promptsWithEditedToken === 0) expect(unrelated.maxKl).toBe(0)
    }
  })
})
