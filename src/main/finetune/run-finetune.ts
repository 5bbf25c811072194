import { WorkbenchError } from '../../shared/errors'
import type { SenseEditDocument } from '../../shared/edits/sense-edits'
import type { FinetuneBackgroundInfo, FinetuneEpochFigures, FinetuneMetrics } from '../../shared/ipc/api-types'
import { SeededRandom } from '../generation/seeded-random'
import { textVocabSize } from '../math/top-k'
import type { FinetuneEngine } from './finetune-engine'
import { Adam, cosineLearningRate } from './adam'
import { backgroundStatistics } from './background-statistics'
import type { BackgroundText } from './background-text'
import { buildTrainingSet, forwardExamples } from './build-training-set'
import type { CanonicalExample } from './canonical-examples'
import { finetuneEditDocument } from './finetune-edit-document'
import { senseGradients } from './finetune-gradient'
import { finetuneObjective, type ObjectiveValue } from './finetune-objective'
import type { FinetuneOptions } from './finetune-options'
import { selectSenses, type ScoredSense, type SelectedSense } from './select-senses'
import type { TrainingSet } from './training-set'

/**
 * Sense fine-tuning on canonical examples (Hewitt et al., "Model Editing with Canonical
 * Examples", 2024) without autodiff: one forward pass per example and per reached background
 * window, then per step only the projection of the m changes (`engine.project`), row arithmetic
 * (finetune-objective.ts) and Eᵀ·G (finetune-gradient.ts). Zero-initialised changes on the
 * selected senses, Adam with a cosine schedule over all steps, mini-batches in a seeded order.
 * With maxDegradation ε the result is the last epoch whose mean background NLL is at most
 * (1 + ε) × the original's (the paper's rule); when none is, there is no edit.
 */
export type FinetuneProgress = FinetuneEpochFigures
export type { FinetuneMetrics }

export interface FinetuneResult {
  selected: SelectedSense[]
  perExample: { line: number; senses: ScoredSense[] }[]
  before: FinetuneMetrics
  /** the kept epoch's metrics; null when no epoch stayed inside the ball */
  after: FinetuneMetrics | null
  epochKept: number | null
  /** (1 + ε) × the original background NLL, when a ball was asked for */
  backgroundNllLimit: number | null
  history: FinetuneProgress[]
  /** the learned changes as add-sense edits; null when no epoch was kept */
  document: SenseEditDocument | null
  background: FinetuneBackgroundInfo
  timingsMs: { prepare: number; epochs: number[] }
}

export interface RunFinetuneArgs {
  examples: readonly CanonicalExample[]
  background: BackgroundText
  options: FinetuneOptions
  signal?: AbortSignal
  onProgress?: (p: FinetuneProgress) => void
  /** a name for the edit document */
  name?: string
}

export async function runFinetune(engine: FinetuneEngine, a: RunFinetuneArgs): Promise<FinetuneResult> {
  const o = a.options
  const { signal } = a
  const t0 = performance.now()
  const { vocabSize: V, numSenses: k, nEmbd: d } = engine.config
  const forwards = await forwardExamples(engine, a.examples, signal)
  const stats = await backgroundStatistics(engine, a.background.ids, { signal })
  const { perExample, selected } = selectSenses({
    loss: o.loss,
    examples: forwards,
    backgroundMass: stats.alphaMass,
    vocabSize: V,
    textVocab: textVocabSize(V),
    numSenses: k,
    perExample: o.sensesPerExample,
    lambda: o.lambda,
  })
  if (selected.length === 0)
    throw new WorkbenchError('bad-request', 'no sense of any example token sends α mass to the suffix rows: nothing to fine-tune')
  const set = await buildTrainingSet(engine, forwards, selected, a.background.ids, stats, signal)
  const E = await engine.embeddingRows(Array.from({ length: V }, (_, i) => i)) // (vocab, d_model)
  const prepareMs = performance.now() - t0

  const m = selected.length
  const all = set.examples.map((_, i) => i)
  const batchSize = Math.min(o.batchSize ?? all.length, all.length)
  const fullBatch = batchSize === all.length
  const objective = (P: Float32Array, batch: readonly number[], gradient: boolean) =>
    finetuneObjective(set, P, { loss: o.loss, batch, klWeight: o.klWeight, gradient, signal })
  // with one full batch per epoch, an epoch's evaluation is also the next step's gradient pass
  let carried: ObjectiveValue | null = await objective(new Float32Array(m * V), all, fullBatch)
  const before = metrics(set, carried)
  if (!fullBatch) carried = null
  const limit = o.maxDegradation === undefined ? null : (1 + o.maxDegradation) * before.backgroundNll

  const delta = new Float64Array(m * d) // (pair, d_model), zero-initialised
  const adam = new Adam(m * d)
  const rng = new SeededRandom(o.seed)
  const stepsPerEpoch = Math.ceil(all.length / batchSize)
  const total = o.epochs * stepsPerEpoch
  const history: FinetuneProgress[] = []
  const epochMs: number[] = []
  let kept: { epoch: number; values: Float32Array; metrics: FinetuneMetrics } | null = null
  let step = 0
  for (let epoch = 1; epoch <= o.epochs; epoch++) {
    const te = performance.now()
    const order = shuffled(all, rng)
    for (let b = 0; b < stepsPerEpoch; b++) {
      const val =
        carried ??
        (await objective(
          await engine.project(Float32Array.from(delta), m, { signal }),
          order.slice(b * batchSize, (b + 1) * batchSize),
          true,
        ))
      carried = null
      const grad = senseGradients(val.G as Float64Array, E, m, V, set.textVocab, d) // (pair, d_model)
      adam.step(delta, grad, cosineLearningRate(o.lr, step++, total))
    }
    const values = Float32Array.from(delta)
    if (!values.every(Number.isFinite))
      throw new WorkbenchError('bad-request', `the changes diverged to non-finite values in epoch ${epoch}: use a smaller --lr`)
    const val = await objective(await engine.project(values, m, { signal }), all, fullBatch && epoch < o.epochs) // P: (m, vocab)
    if (val.G) carried = val
    const now = metrics(set, val)
    epochMs.push(performance.now() - te)
    const progress = {
      epoch,
      epochs: o.epochs,
      canonicalLoss: now.canonicalLoss,
      objective: now.objective,
      kl: now.kl,
      backgroundNll: now.backgroundNll,
    }
    history.push(progress)
    a.onProgress?.(progress)
    if (limit === null || now.backgroundNll <= limit) kept = { epoch, values, metrics: now }
  }
  return {
    selected,
    perExample,
    before,
    after: kept?.metrics ?? null,
    epochKept: kept?.epoch ?? null,
    backgroundNllLimit: limit,
    history,
    document: kept ? finetuneEditDocument(engine.contentHash, selected, kept.values, d, a.name) : null,
    background: {
      source: a.background.source,
      isDefault: a.background.isDefault,
      truncated: a.background.truncated,
      tokens: a.background.ids.length,
      positions: stats.positions,
      reachedPositions: set.background.targets.length,
      statisticsCached: stats.cached,
    },
    timingsMs: { prepare: Math.round(prepareMs), epochs: epochMs.map(Math.round) },
  }
}

function metrics(set: TrainingSet, v: ObjectiveValue): FinetuneMetrics {
  const examples = set.examples.map((ex, i) => ({ line: ex.line, loss: v.exampleLosses[i], suffixNll: v.suffixNll[i] }))
  const canonicalLoss = examples.reduce((s, e) => s + e.suffixNll[0], 0) / examples.length
  return { canonicalLoss, objective: v.objective, kl: v.kl, backgroundNll: v.backgroundNll, examples }
}

/** Fisher–Yates with the seeded generator: the same seed gives the same batches. */
function shuffled(items: readonly number[], rng: SeededRandom): number[] {
  const out = [...items]
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1))
    ;[out[i], out[j]] = [out[j], out[i]]
  }
  return out
}
