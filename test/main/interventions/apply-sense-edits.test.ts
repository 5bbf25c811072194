import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { applySenseEdits, loadSenseEdits, parseSenseEditsFor } from '../../../src/main/interventions/apply-sense-edits'
import { attributeLogit } from '../../../src/main/prediction/attribute-logit'
import { readNpy } from '../../../src/main/npy/npy'
import type { WorkerEngine } from '../../../src/main/runtime/worker-engine'
import { expectAllClose } from '../../helpers/all-close'
import { useEngine } from '../generation/engine-fixture'

/**
 * Done-criterion of the analysis core: logits after scale-sense and knowledge-edit match the
 * independent PyTorch reference (tools/reference/run_reference.py --edits, float64 goldens in
 * test/fixtures/golden/small-bin-edits) within 1e-4 of each tensor's scale.
 */
const root = join(import.meta.dirname, '../../..')
const goldenDir = join(root, 'test/fixtures/golden/small-bin-edits')
const ids: number[] = JSON.parse(readFileSync(join(goldenDir, 'ids.json'), 'utf8'))

describe('sense edits on the real engine (small-bin)', () => {
  const fixture = useEngine('small-bin')
  let engine: WorkerEngine
  beforeAll(() => {
    engine = fixture.engine()
  })

  it('matches the PyTorch reference after scale-sense + knowledge-edit (rtol 1e-4 to scale)', async () => {
    const { edits, warnings } = await loadSenseEdits(engine, join(goldenDir, 'edits.json'))
    expect(warnings).toEqual([])
    const out = await applySenseEdits(engine, ids, edits)
    const logits = readNpy(join(goldenDir, 'logits.npy'))
    const senses = readNpy(join(goldenDir, 'senses.npy'))
    const alpha = readNpy(join(goldenDir, 'contextualization.npy'))
    expectAllClose(out.logits, logits.data, { rtolToScale: 1e-4, shape: logits.shape, label: 'edited logits' })
    expectAllClose(out.senses, senses.data, { rtolToScale: 1e-4, shape: senses.shape, label: 'edited senses' })
    expectAllClose(out.contextualization, alpha.data, { rtolToScale: 1e-4, shape: alpha.shape, label: 'α (unchanged)' })
    // and the edits really changed something: the unedited golden differs
    const plain = readNpy(join(root, 'test/fixtures/golden/small-bin/logits.npy'))
    let diff = 0
    plain.data.forEach((x, i) => (diff = Math.max(diff, Math.abs(x - out.logits[i]))))
    expect(diff).toBeGreaterThan(1e-2)
  })

  it('matches the PyTorch reference for replace/add-sense, subset knowledge-edit and α edits (rtol 1e-4)', async () => {
    const dir = join(import.meta.dirname, 'golden-more-edits')
    const more: number[] = JSON.parse(readFileSync(join(dir, 'ids.json'), 'utf8'))
    const { edits } = await loadSenseEdits(engine, join(dir, 'edits.json'))
    const out = await applySenseEdits(engine, more, edits)
    for (const [name, got] of [
      ['logits', out.logits],
      ['senses', out.senses],
      ['contextualization', out.contextualization],
    ] as const) {
      const want = readNpy(join(dir, `${name}.npy`))
      expectAllClose(got, want.data, { rtolToScale: 1e-4, shape: want.shape, label: name })
    }
  })

  it('attribution sums to the logit within 1e-4, with and without edits', async () => {
    const { edits } = await loadSenseEdits(engine, join(goldenDir, 'edits.json'))
    const runner = fixture.runner()
    for (const e of [null, edits])
      for (const [q, v] of [
        [0, 5],
        [6, 300],
        [11, 42],
      ]) {
        const a = await attributeLogit(runner, ids, q, v, e)
        expect(Math.abs(a.total - a.logit)).toBeLessThanOrEqual(1e-4 * Math.max(1, Math.abs(a.logit)))
      }
  })

  it('observed log-odds changes stay within the blast radius on several prompts', async () => {
    const { edits } = parseSenseEditsFor(engine, {
      format: 'backpack-sense-edits',
      version: 1,
      edits: [
        { kind: 'scale-sense', token: 17, sense: [3, 10], factor: -1 },
        { kind: 'knowledge-edit', token: 5, remove: 42, add: 300 },
      ],
    })
    const runner = fixture.runner()
    const [a, b] = [42, 300]
    const radius = await runner.blastRadius(edits, a, b)
    const V = engine.config.vocabSize
    const prompts = [ids, [5, 5, 5, 5], [17, 1, 2, 3, 17, 5], [100, 200, 5, 17, 9, 9, 9, 5, 17], [5]]
    let seen = 0
    for (const p of prompts) {
      const before = await runner.run(p, null)
      const after = await runner.run(p, edits)
      for (let i = 0; i < p.length; i++) {
        const change = after.logits[i * V + a] - after.logits[i * V + b] - (before.logits[i * V + a] - before.logits[i * V + b])
        expect(change).toBeLessThanOrEqual(radius.maxIncrease + 1e-4 * radius.maxAbsChange)
        expect(change).toBeGreaterThanOrEqual(radius.maxDecrease - 1e-4 * radius.maxAbsChange)
        seen = Math.max(seen, Math.abs(change))
      }
    }
    expect(seen).toBeGreaterThan(0)
  })

  it('rejects a file that is not a valid document with edit-invalid, and a missing file with not-found', async () => {
    const bad = join(fixture.cache(), 'bad.json')
    writeFileSync(
      bad,
      JSON.stringify({ format: 'backpack-sense-edits', version: 1, edits: [{ kind: 'scale-sense', token: 512, factor: 0 }] }),
    )
    await expect(loadSenseEdits(engine, bad)).rejects.toMatchObject({ code: 'edit-invalid' })
    await expect(loadSenseEdits(engine, join(fixture.cache(), 'nope.json'))).rejects.toMatchObject({ code: 'not-found' })
  })
})

describe('topic control on the real engine (small-bin)', () => {
  const fixture = useEngine('small-bin')
  let engine: WorkerEngine
  beforeAll(() => {
    engine = fixture.engine()
  })

  it("equals a brute-force re-derivation of the authors' three steps (1e-4 to scale), and attribution still sums", async () => {
    const { edits } = parseSenseEditsFor(engine, {
      format: 'backpack-sense-edits',
      version: 1,
      edits: [{ kind: 'topic', words: ['the', 'and'], strength: 3 }],
    })
    const out = await applySenseEdits(engine, ids, edits)
    const { vocabSize: V, numSenses: k } = engine.config
    // step 1: every (x, ℓ) score vector by projection, s = b·(E·C)/max
    const all = await engine.senseVectors(Array.from({ length: V }, (_, x) => x)) // (vocab, sense, d_model)
    const scores = await engine.project(all, V * k) // (vocab·sense, vocab)
    const bag = [262, 290] // " the", " and"
    const s = new Float64Array(V * k)
    for (let r = 0; r < V * k; r++) {
      let mx = -Infinity
      for (let v = 0; v < V; v++) mx = Math.max(mx, scores[r * V + v])
      s[r] = (scores[r * V + bag[0]] + scores[r * V + bag[1]]) / mx
    }
    // step 2: quantiles by sorting, torch's linear interpolation
    const sorted = Float32Array.from(s).sort()
    const q = (p: number) => {
      const pos = p * (sorted.length - 1)
      const lo = Math.floor(pos)
      return sorted[lo] + (sorted[Math.min(lo + 1, sorted.length - 1)] - sorted[lo]) * (pos - lo)
    }
    const [q95, q80, q60] = [q(0.95), q(0.8), q(0.6)]
    const delta = (x: number, l: number) => {
      const v = Math.fround(s[x * k + l])
      return v > q95 ? 3.3 : v > q80 && v < q95 ? 3.3 : v > q60 && v < q80 ? 3 : v < q60 ? 1 : 1
    }
    // step 3: annealing over the sequence, then the combination
    const n = ids.length
    const f = 3.3 / 7.5
    const expected = new Float64Array(n * V)
    for (let i = 0; i < n; i++)
      for (let l = 0; l < k; l++)
        for (let j = 0; j <= i; j++) {
          const x = ids[j]
          let a = 0
          for (const y of ids) a += Math.max(0, scores[(x * k + l) * V + y])
          const score = (1 / (1 + Math.exp(f * a - 6))) * (1 + j / 100)
          const eff = score * delta(x, l) + (1 - score)
          const w = out.contextualization[(l * n + i) * n + j] * eff
          for (let v = 0; v < V; v++) expected[i * V + v] += w * scores[(x * k + l) * V + v]
        }
    expectAllClose(out.logits, expected, { rtolToScale: 1e-4, shape: [n, V], label: 'topic logits' })
    expect(out.topicScale!.some((x) => Math.abs(x - 1) > 0.1)).toBe(true)
    const a = await attributeLogit(fixture.runner(), ids, 7, 262, edits)
    expect(Math.abs(a.total - a.logit)).toBeLessThanOrEqual(1e-4 * Math.max(1, Math.abs(a.logit)))
  })
})
