import { describe, expect, it } from 'vitest'
import { InterventionRunner } from '../../../src/main/interventions/intervention-runner'
import { predictTokens } from '../../../src/main/prediction/predict-tokens'
import { parseSenseEdits } from '../../../src/shared/edits/parse-sense-edits'
import { ArrayEngine } from '../interventions/array-engine'

const parse = (engine: ArrayEngine, edits: unknown[]) =>
  parseSenseEdits(
    { format: 'backpack-sense-edits', version: 1, edits },
    { vocabSize: engine.config.vocabSize, numSenses: engine.config.numSenses, dModel: engine.config.nEmbd, resolveToken: () => [] },
  )

describe('predictTokens', () => {
  const ids = [3, 7, 3, 12, 5]

  it('gives log-probs equal to a direct log-softmax (1e-6) and consistent ranks and top-k', async () => {
    const engine = new ArrayEngine()
    const V = engine.config.vocabSize
    const p = await predictTokens(new InterventionRunner(engine), ids, { top: V })
    const { logits } = await engine.forward(ids)
    for (const lp of p.logProbs) {
      const row = Array.from(logits.subarray((lp.position - 1) * V, lp.position * V))
      const lse = Math.log(row.reduce((s, x) => s + Math.exp(x), 0))
      expect(lp.logProb).toBeCloseTo(row[ids[lp.position]] - lse, 6)
      expect(lp.rank).toBe(1 + row.filter((x) => x > row[ids[lp.position]]).length)
      expect(lp.alternatives[lp.rank - 1].logit).toBe(logits[(lp.position - 1) * V + ids[lp.position]])
    }
    expect(p.next.reduce((s, t) => s + t.prob, 0)).toBeCloseTo(1, 6)
    expect(p.next.map((t) => t.logit)).toEqual([...p.next.map((t) => t.logit)].sort((a, b) => b - a))
    expect(p.logProbs.map((l) => l.position)).toEqual([1, 2, 3, 4])
  })

  it('masks the padding ids 50257..50263 out of top-k and the softmax', async () => {
    const engine = new ArrayEngine(50264, 2, 4, 3)
    const d = 4
    for (let v = 50257; v < 50264; v++) for (let c = 0; c < d; c++) engine.E[v * d + c] = 100 * Math.sign(engine.C[c] || 1) // huge logits if unmasked
    const p = await predictTokens(new InterventionRunner(engine), [1, 2, 50256], { top: 20 })
    for (const t of [...p.next, ...p.logProbs.flatMap((l) => l.alternatives)]) expect(t.id).toBeLessThan(50257)
    expect(p.logProbs[1].logProb).toBeLessThan(0)
  })

  it('applies edits: ablating every sense of every prompt token leaves a uniform distribution', async () => {
    const engine = new ArrayEngine()
    const edits = parse(
      engine,
      [...new Set(ids)].map((token) => ({ kind: 'scale-sense', token, factor: 0 })),
    )
    const p = await predictTokens(new InterventionRunner(engine), ids, { top: 3, edits })
    expect(p.edited).toBe(true)
    for (const lp of p.logProbs) expect(lp.logProb).toBeCloseTo(-Math.log(engine.config.vocabSize), 6)
    await expect(predictTokens(new InterventionRunner(engine), ids, { top: 0 })).rejects.toMatchObject({ code: 'bad-request' })
  })
})
