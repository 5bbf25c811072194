import { describe, expect, it } from 'vitest'
import { blastRadius } from '../../../src/main/interventions/blast-radius'
import { InterventionRunner } from '../../../src/main/interventions/intervention-runner'
import { parseSenseEdits } from '../../../src/shared/edits/parse-sense-edits'
import { ArrayEngine } from './array-engine'
import { mulberry32 } from '../../helpers/mulberry32'

const parse = (engine: ArrayEngine, edits: unknown[]) =>
  parseSenseEdits(
    { format: 'backpack-sense-edits', version: 1, edits },
    { vocabSize: engine.config.vocabSize, numSenses: engine.config.numSenses, dModel: engine.config.nEmbd, resolveToken: () => [] },
  )

/** logits[q][v] by the spec's sum, in float64, from explicit per-token senses and α. */
function referenceLogits(
  engine: ArrayEngine,
  ids: number[],
  C: (id: number, l: number) => Float64Array,
  alpha: Float32Array,
  v: number,
  i: number,
): number {
  const { numSenses: k, nEmbd: d } = engine.config
  const n = ids.length
  let s = 0
  for (let l = 0; l < k; l++)
    for (let j = 0; j <= i; j++) {
      const c = C(ids[j], l)
      let dotv = 0
      for (let x = 0; x < d; x++) dotv += engine.E[v * d + x] * c[x]
      s += alpha[(l * n + i) * n + j] * dotv
    }
  return s
}

const baseC = (engine: ArrayEngine) => (id: number, l: number) => {
  const { numSenses: k, nEmbd: d } = engine.config
  return Float64Array.from(engine.C.subarray((id * k + l) * d, (id * k + l + 1) * d))
}

describe('InterventionRunner', () => {
  const ids = [3, 7, 3, 12, 5, 7]

  it('without edits equals the plain forward pass (tolerance 1e-5)', async () => {
    const engine = new ArrayEngine()
    const out = await new InterventionRunner(engine).run(ids, null)
    const plain = await engine.forward(ids)
    let worst = 0
    plain.logits.forEach((x, i) => (worst = Math.max(worst, Math.abs(x - out.logits[i]))))
    expect(worst).toBeLessThan(1e-5)
    expect(out.edited).toBe(false)
  })

  it('scale-sense 0 removes exactly that (token, sense) from every occurrence', async () => {
    const engine = new ArrayEngine()
    const runner = new InterventionRunner(engine)
    const out = await runner.run(ids, parse(engine, [{ kind: 'scale-sense', token: 7, sense: [1, 2], factor: 0 }]))
    const alpha = await engine.contextualize(ids)
    const C = (id: number, l: number) => (id === 7 && (l === 1 || l === 2) ? new Float64Array(engine.config.nEmbd) : baseC(engine)(id, l))
    const V = engine.config.vocabSize
    for (const i of [1, 3, 5])
      for (const v of [0, 9, 39]) {
        expect(out.logits[i * V + v]).toBeCloseTo(referenceLogits(engine, ids, C, alpha, v, i), 5)
      }
  })

  it("knowledge-edit follows the authors' formula on every sense (float64 re-derivation, 1e-5)", async () => {
    const engine = new ArrayEngine()
    const runner = new InterventionRunner(engine)
    const [tok, rem, add] = [3, 10, 11]
    const [edited] = await runner.editedSenses(
      [tok],
      parse(engine, [{ kind: 'knowledge-edit', token: tok, remove: rem, add }]).edits as never,
    )
    const { numSenses: k, nEmbd: d } = engine.config
    const er = Float64Array.from(engine.E.subarray(rem * d, (rem + 1) * d))
    const ea = Float64Array.from(engine.E.subarray(add * d, (add + 1) * d))
    const dotp = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((s, x, i) => s + x * b[i], 0)
    // paper form: C̃ = C + (C·e_r/‖e_r‖²)(e_a/φ − e_r), φ = ‖e_a‖²/‖e_r‖²
    const phi = dotp(ea, ea) / dotp(er, er)
    for (let l = 0; l < k; l++) {
      const c = baseC(engine)(tok, l)
      const t = dotp(c, er) / dotp(er, er)
      for (let x = 0; x < d; x++) expect(edited[l * d + x]).toBeCloseTo(c[x] + t * (ea[x] / phi - er[x]), 5)
      // the added part gives the add-token exactly the original remove-token logit
      const gainA = dotp(Array.from(edited.subarray(l * d, (l + 1) * d)), ea) - dotp(c, ea)
      expect(gainA).toBeCloseTo(dotp(c, er) * (1 - dotp(er, ea) / dotp(er, er)), 4)
    }
  })

  it("replace-sense and add-sense read the source token's unedited sense or explicit values", async () => {
    const engine = new ArrayEngine()
    const runner = new InterventionRunner(engine)
    const d = engine.config.nEmbd
    const values = Array.from({ length: d }, (_, i) => i / 10)
    const parsed = parse(engine, [
      { kind: 'scale-sense', token: 4, factor: 2 },
      { kind: 'replace-sense', token: 3, sense: 0, from: { token: 4, sense: 2 } },
      { kind: 'add-sense', token: 3, sense: 1, from: { values }, factor: -0.5 },
    ])
    const [c3] = await runner.editedSenses([3], parsed.edits as never)
    expect(Array.from(c3.subarray(0, d))).toEqual(Array.from(baseC(engine)(4, 2)).map(Math.fround))
    baseC(engine)(3, 1).forEach((x, i) => expect(c3[d + i]).toBeCloseTo(x - 0.5 * values[i], 6))
  })

  it('reuses α when only the edits change, and caches edited vectors', async () => {
    const engine = new ArrayEngine()
    const runner = new InterventionRunner(engine)
    await runner.run(ids, null)
    await runner.run(ids, parse(engine, [{ kind: 'scale-sense', token: 3, factor: 0.5 }]))
    await runner.run(ids, parse(engine, [{ kind: 'scale-sense', token: 3, factor: 0.25 }]))
    expect(engine.calls.contextualize).toBe(1)
    await runner.run([...ids, 1], null)
    expect(engine.calls.contextualize).toBe(2)
  })

  it("scale-contextualization without renormalising equals scaling that position's sense in this prompt", async () => {
    const engine = new ArrayEngine()
    const runner = new InterventionRunner(engine)
    const p = 2
    const out = await runner.run(ids, parse(engine, [{ kind: 'scale-contextualization', position: p, sense: 3, factor: 0.3 }]))
    const alpha = (await engine.contextualize(ids)).slice()
    const n = ids.length
    for (let i = p; i < n; i++) alpha[(3 * n + i) * n + p] *= 0.3
    const V = engine.config.vocabSize
    for (const i of [2, 4]) expect(out.logits[i * V + 5]).toBeCloseTo(referenceLogits(engine, ids, baseC(engine), alpha, 5, i), 5)
    const ren = await runner.run(ids, parse(engine, [{ kind: 'scale-contextualization', position: p, factor: 0.3, renormalize: true }]))
    for (let l = 0; l < engine.config.numSenses; l++)
      for (let i = 0; i < n; i++) {
        let s = 0
        for (let j = 0; j <= i; j++) s += ren.contextualization[(l * n + i) * n + j]
        expect(s).toBeCloseTo(1, 5)
      }
    await expect(runner.run(ids, parse(engine, [{ kind: 'scale-contextualization', position: 6, factor: 0 }]))).rejects.toMatchObject({
      code: 'edit-invalid',
    })
  })

  it('observed log-odds changes stay within the blast radius on many prompts, and a one-token context attains perToken', async () => {
    const engine = new ArrayEngine(40, 4, 8, 7)
    const runner = new InterventionRunner(engine)
    const parsed = parse(engine, [
      { kind: 'scale-sense', token: 3, sense: [0, 2], factor: -1.5 },
      { kind: 'knowledge-edit', token: 8, remove: 10, add: 11 },
      { kind: 'add-sense', token: 9, sense: 1, from: { token: 20, sense: 3 }, factor: 2 },
    ])
    const [a, b] = [10, 11]
    const radius = await runner.blastRadius(parsed, a, b)
    expect(radius.maxIncrease).toBeGreaterThan(0)
    expect(radius.maxDecrease).toBeLessThan(0)
    const V = engine.config.vocabSize
    const rand = mulberry32(3)
    let observedMax = 0
    for (let t = 0; t < 30; t++) {
      const prompt = Array.from({ length: 3 + Math.floor(rand() * 10) }, () => [3, 8, 9, Math.floor(rand() * V)][Math.floor(rand() * 4)])
      const before = await runner.run(prompt, null)
      const after = await runner.run(prompt, parsed)
      for (let i = 0; i < prompt.length; i++) {
        const change = after.logits[i * V + a] - after.logits[i * V + b] - (before.logits[i * V + a] - before.logits[i * V + b])
        expect(change).toBeLessThanOrEqual(radius.maxIncrease + 1e-4)
        expect(change).toBeGreaterThanOrEqual(radius.maxDecrease - 1e-4)
        observedMax = Math.max(observedMax, Math.abs(change))
      }
    }
    expect(observedMax).toBeGreaterThan(0)
    // in a context made only of token 8, every α row is one-hot: the change equals perToken exactly
    const only = [8, 8, 8]
    const before = await runner.run(only, null)
    const after = await runner.run(only, parsed)
    const change = after.logits[2 * V + a] - after.logits[2 * V + b] - (before.logits[2 * V + a] - before.logits[2 * V + b])
    expect(change).toBeCloseTo(radius.perToken.find((p) => p.token === 8)!.change, 4)
  })

  // a document on many tokens, for many pairs: the runner works in blocks of tokens (here 256 at
  // ~512 pairs × 4 senses × 8 dims), so 301 edited tokens take two blocks
  const manyTokens = (engine: ArrayEngine) =>
    parse(engine, [
      ...Array.from({ length: 300 }, (_, i) => ({
        kind: 'scale-sense',
        token: 100 + i,
        sense: i % 4,
        factor: i % 7 === 0 ? 0 : 1.5 - (i % 5),
      })),
      { kind: 'knowledge-edit', token: 150, remove: 10, add: 11 },
      { kind: 'add-sense', token: 420, sense: 1, from: { token: 20, sense: 3 }, factor: 2 },
      { kind: 'replace-sense', token: 100, sense: 2, from: { token: 21, sense: 0 } },
      { kind: 'scale-contextualization', position: 0, factor: 2 },
    ])

  it('blastRadii over many pairs gives each pair the numbers of blastRadius alone and of the formula on every ΔC', async () => {
    const engine = new ArrayEngine(500, 4, 8, 5)
    const runner = new InterventionRunner(engine)
    const parsed = manyTokens(engine)
    const rand = mulberry32(11)
    const pairs = Array.from({ length: 512 }, () => [Math.floor(rand() * 500), Math.floor(rand() * 500)] as const)
    pairs[7] = pairs[3] // a repeated pair
    const blocks: number[] = []
    const { radii, notCovered } = await runner.blastRadii(parsed, pairs, { onProgress: (done) => blocks.push(done) })
    expect(blocks).toEqual([256, 301])
    expect(notCovered).toEqual([{ index: 303, kind: 'scale-contextualization' }])
    // the old per-pair path: every token's ΔC at once, then the formula
    const vector = parsed.edits.filter((e) => e.kind !== 'scale-contextualization') as Parameters<InterventionRunner['editedSenses']>[1]
    const tokens = [...new Set(vector.map((e) => e.token))]
    const edited = await runner.editedSenses(tokens, vector)
    const base = await runner.tokenSenses(tokens)
    const deltas = new Map(tokens.map((t, i) => [t, edited[i].map((x, c) => x - base[i][c])]))
    const { numSenses: k, nEmbd: d } = engine.config
    for (const [i, [a, b]] of pairs.entries()) {
      if (i % 16 !== 0 && i !== 7) continue
      const [ea, eb] = await runner.embedding([a, b])
      const { perToken, ...formula } = blastRadius(a, b, ea, eb, deltas, k, d)
      expect(perToken).toHaveLength(301)
      expect(radii[i]).toEqual(formula)
      const { perToken: alone, notCovered: _, ...single } = await runner.blastRadius(parsed, a, b)
      expect(radii[i]).toEqual(single)
      expect(alone).toEqual(perToken)
    }
    expect(radii.some((r) => r.maxIncrease > 0 && r.maxDecrease < 0)).toBe(true)
  })

  it('blastRadii stops with cancelled when its signal is aborted, before or between blocks', async () => {
    const engine = new ArrayEngine(500, 4, 8, 5)
    const runner = new InterventionRunner(engine)
    const parsed = manyTokens(engine)
    const pairs = Array.from({ length: 512 }, (_, i) => [i % 500, (i * 7) % 500] as const)
    const before = new AbortController()
    before.abort()
    await expect(runner.blastRadii(parsed, pairs, { signal: before.signal })).rejects.toMatchObject({ code: 'cancelled' })
    const midway = new AbortController()
    let blocks = 0
    const pending = runner.blastRadii(parsed, pairs, {
      signal: midway.signal,
      onProgress: () => {
        blocks++
        midway.abort()
      },
    })
    await expect(pending).rejects.toMatchObject({ code: 'cancelled', message: expect.stringContaining('blast radius') })
    expect(blocks).toBe(1)
  })
})
