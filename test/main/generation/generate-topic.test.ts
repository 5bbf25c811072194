import { describe, expect, it } from 'vitest'
import { generate } from '../../../src/main/generation/generate'
import { parseSenseEditsFor } from '../../../src/main/interventions/apply-sense-edits'
import { expectAllClose } from '../../helpers/all-close'
import { useEngine } from './engine-fixture'

/**
 * Topic edits during generation on small-bin (vocab 512, 16 senses, 64 positions): its
 * whole-vocabulary sense table is quick to build, and the bag " the", " and" (262, 290) fits.
 */
const fixture = useEngine('small-bin')

describe('generate with a topic edit (small-bin)', () => {
  it('recomputes the annealed δ over the whole sequence each step: incremental = full recomputation', async () => {
    const engine = fixture.engine()
    const { edits } = parseSenseEditsFor(engine, {
      format: 'backpack-sense-edits',
      version: 1,
      edits: [
        { kind: 'scale-sense', token: 17, sense: 10, factor: 0.5 },
        { kind: 'topic', words: ['the', 'and'], strength: 3 },
        { kind: 'scale-contextualization', position: 2, sense: [0, 5], factor: 2 },
      ],
    })
    const ids = [5, 17, 300, 5, 42, 9]
    const run = async (recompute: 'incremental' | 'full') => {
      const rows: Float32Array[] = []
      const r = await generate(engine, {
        ids,
        maxNewTokens: 30,
        strategy: 'sample',
        seed: 9,
        edits,
        recompute,
        onLogits: (_, l) => rows.push(l.slice()),
      })
      return { r, rows }
    }
    const inc = await run('incremental')
    const full = await run('full')
    expect(inc.r.ids).toHaveLength(30)
    expect(inc.r.ids).toEqual(full.r.ids)
    inc.rows.forEach((row, step) => expectAllClose(row, full.rows[step], { rtolToScale: 1e-5, label: `step ${step}` }))
    // and the topic edit changes the distribution relative to the same edits without it
    const noTopic = parseSenseEditsFor(engine, {
      format: 'backpack-sense-edits',
      version: 1,
      edits: [{ kind: 'scale-sense', token: 17, sense: 10, factor: 0.5 }],
    }).edits
    const rows: Float32Array[] = []
    await generate(engine, { ids, maxNewTokens: 1, edits: noTopic, onLogits: (_, l) => rows.push(l.slice()) })
    let diff = 0
    rows[0].forEach((x, i) => (diff = Math.max(diff, Math.abs(x - inc.rows[0][i]))))
    expect(diff).toBeGreaterThan(1e-3)
  })
})
