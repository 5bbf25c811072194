import { describe, expect, it } from 'vitest'
import { parseSenseEditsFor } from '../../../src/main/interventions/apply-sense-edits'
import { InterventionRunner } from '../../../src/main/interventions/intervention-runner'
import { parseSenseEdits } from '../../../src/shared/edits/parse-sense-edits'
import { expectAllClose } from '../../helpers/all-close'
import { useEngine } from '../generation/engine-fixture'
import { ArrayEngine } from './array-engine'

const parse = (engine: ArrayEngine, edits: unknown[]) =>
  parseSenseEdits(
    { format: 'backpack-sense-edits', version: 1, edits },
    { vocabSize: engine.config.vocabSize, numSenses: engine.config.numSenses, dModel: engine.config.nEmbd, resolveToken: () => [] },
  )

/** An ArrayEngine that counts combine and project calls (and the rows projected). */
function countingEngine() {
  const engine = new ArrayEngine()
  const counts = { combine: 0, project: 0, projectedRows: 0 }
  const combine = engine.combine.bind(engine)
  const project = engine.project.bind(engine)
  engine.combine = (args) => {
    counts.combine++
    return combine(args)
  }
  engine.project = (vectors, n) => {
    counts.project++
    counts.projectedRows += n
    return project(vectors, n)
  }
  return { engine, counts }
}

describe('InterventionRunner re-runs from a base run (vector edits only)', () => {
  const ids = [3, 7, 3, 12, 5, 7, 9, 3]
  const edits = (factor: number) => [
    { kind: 'scale-sense', token: 3, sense: [1, 2], factor },
    { kind: 'knowledge-edit', token: 7, remove: 10, add: 11 },
  ]

  it('adds W·(E·ΔC) for the changed (token, sense) pairs only, equal to a direct run (1e-5 of scale)', async () => {
    const { engine, counts } = countingEngine()
    const runner = new InterventionRunner(engine)
    const first = await runner.run(ids, parse(engine, edits(1)))
    first.logits.fill(123) // the caller owns its logits: the base keeps its own copy
    expect(counts.combine).toBe(1)
    for (const factor of [0.5, 0, 2.5, -1]) {
      const before = { ...counts }
      const out = await runner.run(ids, parse(engine, edits(factor)))
      expect(counts.combine, 'no direct combine').toBe(before.combine)
      // two changed pairs (token 3, senses 1 and 2), both scale changes of C: E·C projected once, then reused
      expect(counts.projectedRows - before.projectedRows, 'two changed pairs: token 3, senses 1 and 2').toBe(factor === 0.5 ? 2 : 0)
      const direct = await new InterventionRunner(engine).run(ids, parse(engine, edits(factor)))
      expectAllClose(out.logits, direct.logits, { rtolToScale: 1e-5, label: `factor ${factor}` })
      expect(Array.from(out.senses)).toEqual(Array.from(direct.senses))
      expect(out.contextualization).toEqual(direct.contextualization)
    }
  })

  it('mixes kept projections of scale changes with projected ΔC where a sense is no longer a multiple of C (1e-5 of scale)', async () => {
    const { engine, counts } = countingEngine()
    const runner = new InterventionRunner(engine)
    await runner.run(ids, parse(engine, [{ kind: 'scale-sense', token: 3, sense: [1, 2], factor: 2 }]))
    const docs = [
      // sense 1 scaled twice (factors multiply), sense 2 now also knowledge-edited: ΔC projected for sense 2 only
      [
        { kind: 'scale-sense', token: 3, sense: [1, 2], factor: 0.5 },
        { kind: 'scale-sense', token: 3, sense: 1, factor: 3 },
        { kind: 'knowledge-edit', token: 3, remove: 10, add: 11, senses: [2] },
      ],
      // back to scale changes only, of both senses (E·C₂ is projected now), then another factor
      [{ kind: 'scale-sense', token: 3, sense: [1, 2], factor: -4 }],
      [{ kind: 'scale-sense', token: 3, sense: [1, 2], factor: 7 }],
    ]
    const rows = [2, 1, 0] // E·C₁ and ΔC₂; E·C₂; nothing
    for (const [i, doc] of docs.entries()) {
      const before = { ...counts }
      const out = await runner.run(ids, parse(engine, doc))
      expect(counts.combine, 'no direct combine').toBe(before.combine)
      expect(counts.projectedRows - before.projectedRows).toBe(rows[i])
      const direct = await new InterventionRunner(engine).run(ids, parse(engine, doc))
      expectAllClose(out.logits, direct.logits, { rtolToScale: 1e-5, label: `document ${i}` })
    }
  })

  it('re-runs of a prompt ask the engine for no sense vectors (the prompt keeps them, like its α)', async () => {
    const engine = new ArrayEngine()
    const runner = new InterventionRunner(engine)
    await runner.run(ids, parse(engine, edits(1)))
    await runner.run(ids, parse(engine, edits(0.5))) // projects E·C of the scaled senses (their C asked for once)
    for (const factor of [2, -1, 0.25]) {
      const calls = { ...engine.calls }
      const out = await runner.run(ids, parse(engine, edits(factor)))
      expect(engine.calls).toEqual(calls)
      const direct = await new InterventionRunner(engine).run(ids, parse(engine, edits(factor)))
      expect(Array.from(out.senses)).toEqual(Array.from(direct.senses))
      expectAllClose(out.logits, direct.logits, { rtolToScale: 1e-5, label: `factor ${factor}` })
    }
  })

  it('unchanged senses return the base rows exactly (a fresh copy); a position subset reads the base rows', async () => {
    const { engine, counts } = countingEngine()
    const runner = new InterventionRunner(engine)
    const first = await runner.run(ids, parse(engine, edits(0.5)))
    const want = first.logits.slice()
    const again = await runner.run(ids, parse(engine, edits(0.5)))
    expect(counts.combine).toBe(1)
    expect(counts.project).toBe(0)
    expect(again.logits).toEqual(want)
    again.logits.fill(0)
    const V = engine.config.vocabSize
    const some = await runner.run(ids, parse(engine, edits(0.5)), { positions: [6, 2] })
    expect(counts.combine).toBe(1)
    expect(some.logits).toEqual(Float32Array.from([...want.subarray(6 * V, 7 * V), ...want.subarray(2 * V, 3 * V)]))
    // a subset of 2 queries allows 1 changed pair: two changed → direct combine
    await runner.run(ids, parse(engine, edits(0.25)), { positions: [6, 2] })
    expect(counts.combine).toBe(2)
  })

  it('falls back to a direct combine: too many changed pairs, topic or α edits, no base for these ids', async () => {
    const { engine, counts } = countingEngine()
    const runner = new InterventionRunner(engine)
    await runner.run(ids, null)
    // all senses of 3 and 7 change: 8 pairs > 8 positions / 2
    await runner.run(
      ids,
      parse(engine, [
        { kind: 'scale-sense', token: 3, factor: 2 },
        { kind: 'scale-sense', token: 7, factor: 2 },
      ]),
    )
    expect(counts.combine).toBe(2)
    const alphaEdit = parse(engine, [
      { kind: 'scale-sense', token: 3, sense: 0, factor: 0 },
      { kind: 'scale-contextualization', position: 1, factor: 2 },
    ])
    await runner.run(ids, alphaEdit)
    expect(counts.combine).toBe(3)
    await runner.run([...ids, 4], parse(engine, [{ kind: 'scale-sense', token: 3, sense: 0, factor: 0 }]))
    expect(counts.combine).toBe(4)
    // the last direct run of `ids` under vector edits only is the base: one more changed pair goes the short way
    const more = [
      { kind: 'scale-sense', token: 3, factor: 2 },
      { kind: 'scale-sense', token: 7, factor: 2 },
      { kind: 'scale-sense', token: 12, sense: 3, factor: 0 },
    ]
    const out = await runner.run(ids, parse(engine, more))
    expect(counts.combine).toBe(4)
    const direct = await new InterventionRunner(engine).run(ids, parse(engine, more))
    expectAllClose(out.logits, direct.logits, { rtolToScale: 1e-5, label: 'one pair' })
  })
})

describe('re-run from a base on the real engine (tiny-fullvocab)', () => {
  const fixture = useEngine('tiny-fullvocab')

  const ids = Array.from({ length: 32 }, (_, i) => (i * 7919 + 11) % 50000)
  // 3 changed (token, sense) pairs: the re-base in JS on this thread; 3 + 4 + 2 = 9: the engine worker's Gemm
  const few = (factor: number) => [
    { kind: 'scale-sense', token: ids[3], sense: [1, 3], factor },
    { kind: 'knowledge-edit', token: ids[5], remove: ids[7], add: ids[9] },
    { kind: 'add-sense', token: ids[20], sense: 2, from: { token: ids[21], sense: 0 }, factor: factor - 1 },
  ]
  const many = (factor: number) => [
    ...few(factor),
    { kind: 'scale-sense', token: ids[11], factor },
    { kind: 'scale-sense', token: ids[14], sense: [0, 2], factor: factor + 1 },
  ]

  it.each([
    ['3 changed pairs (JS re-base)', few, 0],
    ['9 changed pairs (Gemm in the worker)', many, 1],
  ] as const)('equals the direct run after the edits changed (1e-5 of scale): %s', async (_, edits, gemmCalls) => {
    const engine = fixture.engine()
    const doc = (factor: number) => parseSenseEditsFor(engine, { format: 'backpack-sense-edits', version: 1, edits: edits(factor) }).edits
    const runner = new InterventionRunner(engine)
    await runner.run(ids, doc(1))
    const combine = engine.combine.bind(engine)
    const addWeightedRows = engine.addWeightedRows.bind(engine)
    let combines = 0
    let gemms = 0
    engine.combine = (...args) => {
      combines++
      return combine(...args)
    }
    engine.addWeightedRows = (...args) => {
      gemms++
      return addWeightedRows(...args)
    }
    try {
      for (const factor of [0.5, 0, 3]) {
        gemms = 0
        const out = await runner.run(ids, doc(factor))
        expect(combines, 'the re-run did not combine directly').toBe(0)
        expect(gemms, 'where the re-base ran').toBe(gemmCalls)
        const direct = await new InterventionRunner(engine).run(ids, doc(factor))
        combines = 0
        expectAllClose(out.logits, direct.logits, { rtolToScale: 1e-5, label: `factor ${factor}` })
      }
    } finally {
      engine.combine = combine
      engine.addWeightedRows = addWeightedRows
    }
  })
})
