import { describe, expect, it } from 'vitest'
import { InterventionRunner } from '../../../src/main/interventions/intervention-runner'
import { attributeLogit } from '../../../src/main/prediction/attribute-logit'
import { parseSenseEdits } from '../../../src/shared/edits/parse-sense-edits'
import { ArrayEngine } from '../interventions/array-engine'

const parse = (engine: ArrayEngine, edits: unknown[]) =>
  parseSenseEdits(
    { format: 'backpack-sense-edits', version: 1, edits },
    { vocabSize: engine.config.vocabSize, numSenses: engine.config.numSenses, dModel: engine.config.nEmbd, resolveToken: () => [] },
  )

describe('attributeLogit', () => {
  const ids = [3, 7, 3, 12, 5, 7]

  it.each([
    ['no edits', []],
    [
      'vector and α edits',
      [
        { kind: 'scale-sense', token: 3, sense: 1, factor: -2 },
        { kind: 'knowledge-edit', token: 7, remove: 10, add: 11 },
        { kind: 'scale-contextualization', position: 1, factor: 0.2, renormalize: true },
      ],
    ],
  ])('contributions sum to the logit within 1e-4 (%s)', async (_, edits) => {
    const engine = new ArrayEngine()
    const runner = new InterventionRunner(engine)
    const parsed = edits.length ? parse(engine, edits) : null
    for (const [q, v] of [
      [0, 2],
      [3, 10],
      [5, 11],
    ]) {
      const a = await attributeLogit(runner, ids, q, v, parsed)
      expect(Math.abs(a.total - a.logit)).toBeLessThan(1e-4)
      expect(a.contributions).toHaveLength(engine.config.numSenses * (q + 1))
      expect(a.byTokenSense.reduce((s, g) => s + g.value, 0)).toBeCloseTo(a.total, 6)
      const full = await runner.run(ids, parsed)
      expect(a.logit).toBeCloseTo(full.logits[q * engine.config.vocabSize + v], 5)
    }
  })

  it('rejects positions and targets outside the prompt and vocabulary', async () => {
    const runner = new InterventionRunner(new ArrayEngine())
    await expect(attributeLogit(runner, ids, 6, 1)).rejects.toMatchObject({ code: 'bad-request' })
    await expect(attributeLogit(runner, ids, 0, 40)).rejects.toMatchObject({ code: 'bad-request' })
  })
})
