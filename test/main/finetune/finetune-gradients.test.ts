import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { backgroundStatistics } from '../../../src/main/finetune/background-statistics'
import { buildTrainingSet, forwardExamples } from '../../../src/main/finetune/build-training-set'
import type { FinetuneLoss } from '../../../src/main/finetune/canonical-examples'
import { senseGradients } from '../../../src/main/finetune/finetune-gradient'
import { finetuneObjective } from '../../../src/main/finetune/finetune-objective'
import type { WorkerEngine } from '../../../src/main/runtime/worker-engine'
import { expectAllClose } from '../../helpers/all-close'
import { ROOT, useEngine } from '../generation/engine-fixture'

/**
 * The closed-form fine-tuning gradient ∂objective/∂Δ = Eᵀ·Σ_t w_t·∂objective/∂logits_t equals
 * PyTorch autograd through the reference model (tools/reference/finetune_gradients.py, float64,
 * goldens in test/fixtures/golden/finetune-small-bin and, for a Levanter export, finetune-levanter-small) within 1e-4 of the gradient's scale, for
 * every loss with the KL term, with the KL term alone dominating, and without it.
 */
interface Case {
  loss: FinetuneLoss
  klWeight: number
  examples: { prefix: number[]; suffixes: number[][] }[]
  pairs: { token: number; sense: number }[]
  delta: number[][]
  expected: {
    objective: number
    kl: number
    backgroundNll: number
    exampleLosses: number[]
    suffixNll: number[][]
    backgroundMass: number[]
    gradient: number[]
  }
}
type Golden = { background: number[]; dModel: number; cases: Case[] }
const FIXTURES: [fixture: string, golden: string][] = [
  ['small-bin', 'finetune-small-bin'],
  // a Levanter export (sense sum divided by k, folded into the sense vectors when read)
  ['levanter-small', 'finetune-levanter-small'],
]

for (const [name, goldenName] of FIXTURES)
  describe(`fine-tuning gradients against autograd (${name})`, () => {
    const golden = JSON.parse(readFileSync(join(ROOT, `test/fixtures/golden/${goldenName}/cases.json`), 'utf8')) as Golden
    const fixture = useEngine(name)
    let engine: WorkerEngine
    let E: Float32Array
    beforeAll(async () => {
      engine = fixture.engine()
      E = await engine.embeddingRows(Array.from({ length: engine.config.vocabSize }, (_, i) => i)) // (vocab, d_model)
    })

    for (const c of golden.cases) {
      it(`${c.loss}, KL weight ${c.klWeight}: objective, KL, background NLL and ∂/∂Δ match`, async () => {
        const { vocabSize: V, numSenses: k, nEmbd: d } = engine.config
        const examples = c.examples.map((e, i) => ({ line: i + 1, prefix: e.prefix, suffixes: e.suffixes }))
        const stats = await backgroundStatistics(engine, golden.background)
        const forwards = await forwardExamples(engine, examples)
        const set = await buildTrainingSet(engine, forwards, c.pairs, golden.background, stats)
        expect(set.background.targets.length).toBeGreaterThan(0) // the KL term has rows to act on
        const m = c.pairs.length
        const P = await engine.project(Float32Array.from(c.delta.flat()), m) // (m, vocab)
        const val = await finetuneObjective(set, P, {
          loss: c.loss,
          batch: examples.map((_, i) => i),
          klWeight: c.klWeight,
          gradient: true,
        })
        const grad = senseGradients(val.G as Float64Array, E, m, V, set.textVocab, d)
        const e = c.expected
        expectAllClose([val.objective, val.kl, val.backgroundNll], [e.objective, e.kl, e.backgroundNll], {
          rtolToScale: 1e-5,
          label: 'objective, KL, background NLL',
        })
        expectAllClose(val.exampleLosses, e.exampleLosses, { rtolToScale: 1e-5, label: 'example losses' })
        expectAllClose(val.suffixNll.flat(), e.suffixNll.flat(), { rtolToScale: 1e-5, label: 'suffix NLL' })
        expectAllClose(grad, e.gradient, { rtolToScale: 1e-4, shape: [m, d], label: 'gradient' })
        const mass = c.pairs.map((p) => stats.alphaMass[p.token * k + p.sense])
        expectAllClose(mass, e.backgroundMass, { rtolToScale: 1e-5, label: 'background α mass' })
      })
    }
  })
