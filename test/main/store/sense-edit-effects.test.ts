import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { compareExperiments } from '../../../src/main/store/compare-experiments'
import { ExperimentStore } from '../../../src/main/store/experiment-store'
import { EFFECT_TOKENS, senseEditEffects } from '../../../src/main/store/sense-edit-effects'
import type { SenseEditDocument } from '../../../src/shared/edits/sense-edits'
import { useEngine } from '../generation/engine-fixture'
import { dbPath, tempDir } from './helpers/temp-db'

/** Edit effects Δ = E·(C̃ − C) on the real engine, tiny-fullvocab (d 16, 4 senses, vocab 50264). */
const fixture = useEngine('tiny-fullvocab')
const NURSE = 15849
const doc = (edits: SenseEditDocument['edits'], checkpoint?: string): SenseEditDocument => ({
  format: 'backpack-sense-edits',
  version: 1,
  ...(checkpoint ? { checkpoint } : {}),
  edits,
})

let tmp: ReturnType<typeof tempDir>
let store: ExperimentStore
beforeAll(async () => {
  tmp = tempDir('effects-')
  store = await ExperimentStore.open(dbPath(tmp.dir))
})
afterAll(async () => {
  await store.close()
  tmp.cleanup()
})

/** E·v over the whole vocabulary in float64, from the embedding rows (independent of the engine's project). */
async function projectByHand(v: Float64Array): Promise<Float64Array> {
  const engine = fixture.engine()
  const { vocabSize: V, nEmbd: d } = engine.config
  const rows = await engine.embeddingRows(Array.from({ length: V }, (_, i) => i)) // (vocab, d_model)
  const out = new Float64Array(V)
  for (let t = 0; t < V; t++) for (let c = 0; c < d; c++) out[t] += rows[t * d + c] * v[c]
  return out
}

describe('senseEditEffects (tiny-fullvocab)', () => {
  it('ablating a sense gives Δ = −E·C_sense: its norm and the most promoted and suppressed tokens', async () => {
    const calc = senseEditEffects(fixture.runner())
    const [fx] = await calc.effects(doc([{ kind: 'scale-sense', token: NURSE, sense: 2, factor: 0 }]))
    expect(fx).toMatchObject({ token: NURSE, sense: 2 })
    const d = fixture.engine().config.nEmbd
    const [c] = await fixture.runner().tokenSenses([NURSE])
    const delta = Float64Array.from(c.subarray(2 * d, 3 * d), (x) => -x)
    const scores = await projectByHand(delta)
    const norm = Math.sqrt(scores.reduce((s, x) => s + x * x, 0))
    expect(Math.abs(fx.effect.norm - norm) / norm).toBeLessThan(1e-4) // float32 projection vs float64
    expect(fx.effect.vectorNorm).toBeCloseTo(Math.sqrt(delta.reduce((s, x) => s + x * x, 0)), 4)
    const order = Array.from(scores.keys()).sort((a, b) => scores[b] - scores[a])
    expect(fx.effect.promoted).toHaveLength(EFFECT_TOKENS)
    expect(fx.effect.promoted[0].id).toBe(order[0])
    expect(fx.effect.suppressed[0].id).toBe(order[order.length - 1])
    for (const t of fx.effect.promoted) expect(t.score).toBeCloseTo(scores[t.id], 3)
  })

  it('doubling a sense is the opposite change of ablating it; unedited senses are not listed', async () => {
    const calc = senseEditEffects(fixture.runner())
    const [off] = await calc.effects(doc([{ kind: 'scale-sense', token: NURSE, sense: 2, factor: 0 }]))
    const [twice, ...rest] = await calc.effects(doc([{ kind: 'scale-sense', token: NURSE, sense: 2, factor: 2 }]))
    expect(rest).toEqual([])
    expect(twice.effect.norm).toBeCloseTo(off.effect.norm, 4)
    expect(twice.effect.promoted.map((t) => t.id)).toEqual(off.effect.suppressed.map((t) => t.id))
    expect(await calc.effects(doc([{ kind: 'topic', topic: 'arts_culture', strength: 1 }]))).toEqual([])
  })

  it("compare fills the edit-effects table on the experiments' checkpoint and says which experiments it skipped", async () => {
    const hash = fixture.engine().contentHash
    const a = await store.save({ name: 'off', edits: doc([{ kind: 'scale-sense', token: NURSE, sense: 2, factor: 0 }], hash) })
    const b = await store.save({ name: 'half', edits: doc([{ kind: 'scale-sense', token: NURSE, sense: 2, factor: 0.5 }], hash) })
    const other = await store.save({
      name: 'elsewhere',
      edits: doc([{ kind: 'scale-sense', token: NURSE, sense: 2, factor: 0 }], 'ab'.repeat(32)),
    })
    const c = await compareExperiments(store, [a.id, b.id, other.id], { editEffects: senseEditEffects(fixture.runner()) })
    expect(c.editEffects).toMatchObject({ needed: true, computed: true })
    expect(c.editEffects.note).toContain('"elsewhere"')
    const [row] = c.editEffects.rows
    expect(row).toMatchObject({ key: '" nurse"#15849 sense 2', token: NURSE, sense: 2, status: 'partial' })
    expect(row.cells[2]).toBeNull()
    expect(row.cells[1]!.norm).toBeCloseTo(row.cells[0]!.norm / 2, 4) // (0.5 − 1)·C vs (0 − 1)·C
    const without = await compareExperiments(store, [a.id, b.id])
    expect(without.editEffects).toMatchObject({ needed: true, computed: false, rows: [] })
    expect(without.editEffects.note).toContain(hash.slice(0, 12))
  })
})
