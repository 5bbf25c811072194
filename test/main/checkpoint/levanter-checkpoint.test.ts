import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readCheckpoint } from '../../../src/main/checkpoint/read-checkpoint'
import { applySenseEdits, loadSenseEdits } from '../../../src/main/interventions/apply-sense-edits'
import { readNpy } from '../../../src/main/npy/npy'
import { referenceForward } from '../../../src/main/parity/reference-forward'
import { ReferenceWeights } from '../../../src/main/parity/reference-weights'
import { attributeLogit } from '../../../src/main/prediction/attribute-logit'
import { paritySelfCheck } from '../../../src/main/workbench/parity-self-check'
import { expectAllClose } from '../../helpers/all-close'
import { useEngine } from '../generation/engine-fixture'
import { golden, openCore, useTempCache } from '../runtime/core-fixture'

/**
 * Levanter Backpack exports (model_type "backpack-gpt2", the HF weight names) divide the sense
 * sum by k. `levanter-small` holds exactly the small-safetensors weights under that config; its
 * goldens come from the PyTorch reference with the factor (tools/reference, float64). Reading
 * folds 1/k into the sense network's last projection, so the ONNX export, the float64 parity
 * reference, edits, the blast radius and attribution all compute the Levanter function.
 */
const C = resolve('test/fixtures/checkpoints')
const G = resolve('test/fixtures/golden')
const SENSE_OUT = ['backpack.sense_network.final_mlp.c_proj.weight', 'backpack.sense_network.final_mlp.c_proj.bias']

describe('Levanter Backpack checkpoints', () => {
  it('read as the HF-layout weights of the same function: the last sense projection scaled by 1/k, nothing else', async () => {
    const lev = await readCheckpoint(join(C, 'levanter-small'))
    const hf = await readCheckpoint(join(C, 'small-safetensors'))
    expect(lev.layout).toBe('levanter')
    expect(hf.layout).toBe('hf')
    const k = lev.config.numSenses
    for (const [name, t] of hf.tensors) {
      const want = SENSE_OUT.includes(name) ? t.data.map((x) => x / k) : t.data
      expectAllClose(lev.tensors.get(name)!.data, want, { rtolToScale: 1e-7, label: name })
    }
    expect(lev.contentHash).not.toBe(hf.contentHash)
  })

  it('the float64 parity reference matches the PyTorch goldens with the factor (1e-6 of scale)', async () => {
    const ckpt = await readCheckpoint(join(C, 'levanter-small'))
    const g = golden('levanter-small')
    const out = referenceForward(new ReferenceWeights(ckpt.config, ckpt.tensors), g.ids)
    for (const tensor of ['logits', 'senses', 'contextualization'] as const) {
      expectAllClose(out[tensor], g[tensor].data, { rtolToScale: 1e-6, shape: g[tensor].shape, label: `levanter ${tensor}` })
    }
    // and the factor matters: the HF golden of the same weights is 16× larger
    const hf = golden('small-bin').logits.data
    let diff = 0
    hf.forEach((x, i) => (diff = Math.max(diff, Math.abs(x - out.logits[i]))))
    expect(diff).toBeGreaterThan(1)
  })

  describe('ONNX export', () => {
    let cache: ReturnType<typeof useTempCache>
    beforeAll(() => {
      cache = useTempCache()
    })
    afterAll(() => cache.cleanup())
    it('matches the goldens within 1e-4 of scale (logits, senses, α)', async () => {
      const g = golden('levanter-small')
      const core = await openCore('levanter-small')
      try {
        const out = await core.forward(g.ids)
        expectAllClose(out.logits, g.logits.data, { rtolToScale: 1e-4, shape: g.logits.shape, label: 'logits' })
        expectAllClose(out.senses, g.senses.data, { rtolToScale: 1e-4, shape: g.senses.shape, label: 'senses' })
        expectAllClose(out.contextualization, g.contextualization.data, { rtolToScale: 1e-4, shape: g.contextualization.shape, label: 'α' })
      } finally {
        core.dispose()
      }
    })
  })

  describe('edits and attribution', () => {
    const fixture = useEngine('levanter-small')
    const dir = join(G, 'levanter-small-edits')
    const ids: number[] = JSON.parse(readFileSync(join(dir, 'ids.json'), 'utf8'))
    it('scale-sense + knowledge-edit match the reference with the factor (1e-4 of scale)', async () => {
      const engine = fixture.engine()
      const { edits } = await loadSenseEdits(engine, join(dir, 'edits.json'))
      const out = await applySenseEdits(engine, ids, edits)
      for (const [name, got] of [
        ['logits', out.logits],
        ['senses', out.senses],
      ] as const) {
        const want = readNpy(join(dir, `${name}.npy`))
        expectAllClose(got, want.data, { rtolToScale: 1e-4, shape: want.shape, label: `edited ${name}` })
      }
    })
    it('the blast radius bounds every change of log-odds and is attained by one-token contexts (so it carries the 1/k)', async () => {
      const { edits } = await loadSenseEdits(fixture.engine(), join(dir, 'edits.json'))
      const runner = fixture.runner()
      const V = fixture.engine().config.vocabSize
      const [a, b] = [42, 300]
      const radius = await runner.blastRadius(edits, a, b)
      const change = async (p: number[], i: number) => {
        const before = await runner.run(p, null)
        const after = await runner.run(p, edits)
        return after.logits[i * V + a] - after.logits[i * V + b] - (before.logits[i * V + a] - before.logits[i * V + b])
      }
      const tol = 1e-4 * radius.maxAbsChange
      for (const p of [ids, [5, 5, 5, 5], [17, 1, 2, 3, 17, 5], [100, 200, 5, 17, 9, 9, 9, 5, 17]]) {
        for (let i = 0; i < p.length; i++) {
          const c = await change(p, i)
          expect(c).toBeLessThanOrEqual(radius.maxIncrease + tol)
          expect(c).toBeGreaterThanOrEqual(radius.maxDecrease - tol)
        }
      }
      expect(radius.perToken.length).toBeGreaterThan(0)
      for (const t of radius.perToken) expect(Math.abs((await change([t.token], 0)) - t.change)).toBeLessThanOrEqual(tol + 1e-6)
    })
    it("the app's float64 parity self-check passes on the Levanter checkpoint", async () => {
      const report = await paritySelfCheck(fixture.engine(), join(C, 'levanter-small'))
      expect(report.references.map((r) => r.reference)).toEqual(['float64']) // the fixture ships no reference/ folder
      expect(report.passed).toBe(true)
    })
    it('attribution sums to the logit, with and without edits', async () => {
      const { edits } = await loadSenseEdits(fixture.engine(), join(dir, 'edits.json'))
      for (const e of [null, edits]) {
        for (const [q, v] of [
          [0, 5],
          [6, 300],
          [11, 42],
        ]) {
          const a = await attributeLogit(fixture.runner(), ids, q, v, e)
          expect(Math.abs(a.total - a.logit)).toBeLessThanOrEqual(1e-4 * Math.max(1, Math.abs(a.logit)))
        }
      }
    })
  })
})
