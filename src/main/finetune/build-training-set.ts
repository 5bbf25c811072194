import { WorkbenchError } from '../../shared/errors'
import { logSumExp, textVocabSize } from '../math/top-k'
import type { FinetuneEngine } from './finetune-engine'
import type { BackgroundStatistics } from './background-statistics'
import { backgroundWindows } from './background-text'
import type { CanonicalExample } from './canonical-examples'
import type { SequenceAlpha } from './select-senses'
import { senseWeights, type SensePair } from './sense-weights'
import type { TrainingSet } from './training-set'

/** One forward pass of each suffix sequence: α for selection and weights, logits of the suffix rows. */
export interface ExampleForward {
  line: number
  sequences: (SequenceAlpha & { targets: number[]; logits: Float32Array /* (rows, vocab) */ })[]
}

/** The stored base logits and probabilities of reached background rows are bounded by this many bytes. */
export const MAX_REACHED_BACKGROUND_BYTES = 512 * 1024 * 1024

function cancelled(signal?: AbortSignal): void {
  if (signal?.aborted) throw new WorkbenchError('cancelled', 'fine-tuning was cancelled')
}

/** ids = prefix ++ suffix; rows P−1 … P+S−2 predict the suffix tokens. */
export async function forwardExamples(
  engine: FinetuneEngine,
  examples: readonly CanonicalExample[],
  signal?: AbortSignal,
): Promise<ExampleForward[]> {
  const out: ExampleForward[] = []
  for (const ex of examples) {
    const sequences: ExampleForward['sequences'] = []
    for (const suffix of ex.suffixes) {
      cancelled(signal)
      const ids = [...ex.prefix, ...suffix]
      const rows = suffix.map((_, i) => ex.prefix.length - 1 + i)
      const f = await engine.forward(ids, { positions: rows, signal })
      sequences.push({ ids, rows, targets: suffix, logits: f.logits, alpha: f.contextualization })
    }
    out.push({ line: ex.line, sequences })
  }
  return out
}

/**
 * The training set for the chosen pairs: weights of the suffix rows, and the background rows
 * the pairs reach (one more forward pass of each window that holds a selected token, for the
 * base logits of those rows and α). Rows before a window's first selected token are unreached.
 */
export async function buildTrainingSet(
  engine: FinetuneEngine,
  examples: readonly ExampleForward[],
  pairs: readonly SensePair[],
  backgroundIds: readonly number[],
  stats: BackgroundStatistics,
  signal?: AbortSignal,
): Promise<TrainingSet> {
  const { vocabSize: V, numSenses: k, nPositions, nEmbd } = engine.config
  const textV = textVocabSize(V)
  const m = pairs.length
  const selected = new Set(pairs.map((p) => p.token))
  const set: TrainingSet = {
    vocabSize: V,
    textVocab: textV,
    dModel: nEmbd,
    pairs: [...pairs],
    examples: examples.map((ex) => ({
      line: ex.line,
      sequences: ex.sequences.map((s) => ({
        targets: Int32Array.from(s.targets),
        baseLogits: s.logits,
        weights: senseWeights(s.alpha, s.ids, k, s.rows, pairs),
      })),
    })),
    background: {
      targets: new Int32Array(0),
      baseLogits: new Float32Array(0),
      weights: new Float32Array(0),
      baseLse: new Float64Array(0),
      baseProbs: new Float32Array(0),
      positions: stats.positions,
      unreachedNllSum: 0,
    },
  }
  // which rows of which windows the pairs reach; the NLL of the others stays the original's
  const windows = backgroundWindows(backgroundIds.length, nPositions)
  const reached: { window: number[]; rows: number[] }[] = []
  let offset = 0
  let unreached = 0
  for (const { start, end } of windows) {
    const window = backgroundIds.slice(start, end)
    const first = window.findIndex((id) => selected.has(id))
    const nRows = window.length - 1
    const from = first < 0 ? nRows : first
    for (let t = 0; t < from; t++) unreached += stats.nll[offset + t]
    if (from < nRows) reached.push({ window, rows: Array.from({ length: nRows - from }, (_, i) => from + i) })
    offset += nRows
  }
  const n = reached.reduce((s, r) => s + r.rows.length, 0)
  if (n * V * 8 > MAX_REACHED_BACKGROUND_BYTES) {
    throw new WorkbenchError(
      'bad-request',
      `the selected senses reach ${n} background positions, more than the ${Math.floor(MAX_REACHED_BACKGROUND_BYTES / (V * 8))} whose logits fit in memory: ` +
        'give a shorter --background, a larger --lambda (which avoids tokens common in the background) or fewer --senses-per-example',
    )
  }
  const bg = set.background
  bg.unreachedNllSum = unreached
  bg.targets = new Int32Array(n)
  bg.baseLogits = new Float32Array(n * V) // (n, vocab)
  bg.weights = new Float32Array(n * m) // (n, pair)
  bg.baseLse = new Float64Array(n)
  bg.baseProbs = new Float32Array(n * V) // (n, vocab)
  let r = 0
  for (const { window, rows } of reached) {
    cancelled(signal)
    const f = await engine.forward(window, { positions: rows, signal })
    bg.baseLogits.set(f.logits, r * V)
    bg.weights.set(senseWeights(f.contextualization, window, k, rows, pairs), r * m)
    rows.forEach((t, i) => {
      bg.targets[r + i] = window[t + 1]
      const lse = logSumExp(f.logits, i * V, textV)
      bg.baseLse[r + i] = lse
      for (let v = 0; v < textV; v++) bg.baseProbs[(r + i) * V + v] = Math.exp(f.logits[i * V + v] - lse)
    })
    r += rows.length
  }
  return set
}
