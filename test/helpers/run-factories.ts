import { predictRecipe } from '../../src/main/runs/predict-recipe'
import { recordRun } from '../../src/main/runs/record-run'
import type {
  AttributeResponse,
  EvaluateResponse,
  GenderBiasView,
  GenerateResponse,
  GenerationView,
  KnowledgeEditView,
  NeighboursResponse,
  PredictResponse,
  ReverseResponse,
  SenseLookupResponse,
  TopicSuiteView,
} from '../../src/shared/ipc/api-types'
import type { NewRun, RunBlob } from '../../src/shared/store/experiment-types'

/**
 * Stored runs of every kind, built as a runner stores them: `outputs` is the method's API response
 * with its large numeric arrays moved into `blobs`, `inputs.suite` / `inputs.lookup` name the suite
 * or lookup, `settings` hold every other request field. `shift` moves every figure, so a "baseline"
 * (shift 0) and an "edited" run (shift ≠ 0) of the same call differ in their numbers.
 */
export const CHECKPOINT = 'c0ffee'.repeat(10) + 'abcd'

const origin = { appVersion: '0.1.0-test', runtimeVersion: 'onnxruntime-node test', executionProvider: 'cpu', checkpoint: CHECKPOINT }
const f32 = (values: number[], shape = [values.length]): RunBlob => ({ dtype: 'float32', shape, data: Float32Array.from(values) })

export function predictRunOf(text: string, shift = 0): NewRun {
  const ids = [...text].slice(0, 4).map((c) => c.charCodeAt(0))
  const response: PredictResponse = {
    tokens: ids.map((id, i) => ({ id, text: String.fromCharCode(id), start: i, end: i + 1 })),
    next: [
      { id: 262, text: ' the', prob: 0.4 + shift, logit: 3 + shift },
      { id: 257, text: ' a', prob: 0.2, logit: 2 },
    ],
    logProbs: ids
      .slice(1)
      .map((id, i) => ({ position: i + 1, id, text: String.fromCharCode(id), logProb: -2 - i - shift, rank: i + 1, alternatives: [] })),
    edited: false,
    timingsMs: { forward: 1 },
  }
  // recorded as every door records a predict.next call (the predict recipe)
  return recordRun(predictRecipe, { text, topK: 2 }, response, origin, { format: 'backpack-sense-edits', version: 1, edits: [] }, 2)
}

function generation(tokens: string[], shift: number): GenerationView {
  return {
    text: tokens.join(''),
    tokens: tokens.map((text, i) => ({ id: 1000 + i, text, position: 3 + i, logProb: -1 - i / 10 - shift })),
    stopReason: 'max-new-tokens',
    edited: shift !== 0,
    tokensPerSecond: 50,
  }
}

/** A sampled generation; `edited` tokens (none: a baseline experiment's run) depart where they differ. */
export function generateRunOf(prompt: string, baseline: string[], edited: string[] | null, seed = 7): NewRun {
  const settings = { strategy: 'sample' as const, maxNewTokens: baseline.length, temperature: 0.8, topK: 40, seed }
  const b = generation(baseline, 0)
  const e = edited ? generation(edited, 0.5) : null
  const firstDifference = e ? baseline.findIndex((t, i) => t !== edited![i]) : null
  const outputs: GenerateResponse = {
    prompt,
    settings,
    baseline: b,
    edited: e,
    firstDifference: firstDifference === -1 ? null : firstDifference,
  }
  return {
    kind: 'generate',
    inputs: { text: prompt },
    settings,
    outputs: outputs as unknown as Record<string, unknown>,
    metrics: {
      baselineMeanLogProb: mean(b.tokens.map((t) => t.logProb)),
      ...(e ? { editedMeanLogProb: mean(e.tokens.map((t) => t.logProb)) } : {}),
    },
    blobs: {
      'baseline.logProbs': f32(b.tokens.map((t) => t.logProb)),
      ...(e ? { 'edited.logProbs': f32(e.tokens.map((t) => t.logProb)) } : {}),
    },
    timingsMs: { total: 5 },
    ...origin,
  }
}

export function genderBiasRunOf(shift = 0): NewRun {
  const professions = ['nurse', 'engineer', 'teacher']
  const view: GenderBiasView = {
    sense: 10,
    professions: { used: professions, dropped: [] },
    prompts: { test: 4, train: 2 },
    settings: { unmodified: { meanBias: 3.5 }, removeSense: { meanBias: 2.1 - shift, reduction: 0.4 + shift / 3.5 } },
    perProfession: professions.map((profession, i) => ({
      profession,
      token: 100 + i,
      unmodified: 3 + i / 2,
      removeSense: 2 + i / 10 - shift,
    })),
    edited: shift !== 0,
  }
  return suiteRun(
    'gender-bias',
    { sense: 10, optimize: false },
    view,
    { meanBiasUnmodified: 3.5, meanBiasRemoveSense: 2.1 - shift },
    {
      'perProfession.removeSense': f32(view.perProfession.map((p) => p.removeSense)),
    },
  )
}

export function knowledgeEditRunOf(shift = 0): NewRun {
  const view: KnowledgeEditView = {
    cases: [
      {
        name: 'MacBook: Apple → HP',
        mean: { before: { pAdd: 0.01, pRemove: 0.3 }, after: { pAdd: 0.01 + shift, pRemove: 0.3 - shift }, logOddsChange: 2 * shift },
        senseChange: { norm: 4 * shift, relative: shift },
        degradation: {
          heldout: { tokens: 120, editedTokenOccurrences: 0, perplexityBefore: 40, perplexityAfter: 40, relativeChange: 0 },
          unrelated: { prompts: 10, promptsWithEditedToken: 0, meanKl: 0, maxKl: 0 },
          mentions: null,
        },
      },
    ],
    edited: shift !== 0,
  }
  return suiteRun('knowledge-edit', {}, view, { logOddsChange: 2 * shift })
}

export function topicRunOf(shift = 0): NewRun {
  const result = (strength: number) => ({
    strength,
    bagMass: 0.01 * (1 + strength * shift),
    bagShare: 0.1 + (strength * shift) / 10,
    perplexity: 30 + strength,
  })
  const view: TopicSuiteView = {
    topics: [{ topic: 'arts', bag: [{ id: 5, text: ' art' }], results: [0, 1, 2].map(result) }],
    summary: [0, 1, 2].map(result),
    edited: shift !== 0,
  }
  return suiteRun('topic', { samples: 1, maxNewTokens: 8, seed: 0 }, view, { bagShareStrength2: result(2).bagShare })
}

function suiteRun(
  suite: string,
  settings: Record<string, unknown>,
  view: object,
  metrics: Record<string, number>,
  blobs: Record<string, RunBlob> = {},
): NewRun {
  return {
    kind: 'suite',
    inputs: { suite },
    settings,
    outputs: view as Record<string, unknown>,
    metrics,
    blobs,
    timingsMs: { total: 10 },
    ...origin,
  }
}

export function atlasRunOf(word: string, shift = 0): NewRun {
  const view: SenseLookupResponse = {
    word,
    text: ` ${word}`,
    tokens: [{ id: 15849, text: ` ${word}` }],
    policy: 'first',
    used: [15849],
    multiToken: false,
    senses: [0, 1].map((sense) => ({
      sense,
      norm: 5 + sense + shift,
      top: [{ id: 1, text: ` top${sense}`, score: 9 - sense }],
      bottom: [{ id: 2, text: ` low${sense}`, score: -9 + sense }],
      summary: { min: -9, max: 9, mean: 0, std: 1, histogram: { edges: [-9, 0, 9], counts: [3, 4] }, quantiles: { q50: 0 } },
    })),
  }
  return sensesRun('atlas', { word }, { topK: 1, ties: 'collapse' }, view, {
    'senses.top.score': f32(
      view.senses.map((s) => s.top[0].score),
      [2, 1],
    ),
  })
}

export function neighboursRunOf(word: string, shift = 0): NewRun {
  const view: NeighboursResponse = {
    word,
    tokens: [{ id: 15849, text: ` ${word}` }],
    policy: 'first',
    used: [15849],
    multiToken: false,
    measure: 'min',
    neighbours: [' doctor', ' patient'].map((text, i) => ({ id: 40 + i, text, score: 0.9 - i / 10 - shift })),
  }
  return sensesRun('neighbours', { word }, { sense: 'min', topK: 2, ties: 'collapse' }, view)
}

export function reverseRunOf(token: string, shift = 0): NewRun {
  const view: ReverseResponse = {
    target: { id: 1000, text: token },
    direction: 'boost',
    entries: [' hospital', ' ward'].map((text, i) => ({ id: 70 + i, text, sense: i, score: 7 - i - shift })),
  }
  return sensesRun('reverse', { token }, { direction: 'boost', topK: 2, ties: 'collapse' }, view)
}

function sensesRun(
  lookup: string,
  inputs: Record<string, unknown>,
  settings: Record<string, unknown>,
  view: object,
  blobs: Record<string, RunBlob> = {},
): NewRun {
  return {
    kind: 'senses',
    inputs: { lookup, ...inputs },
    settings,
    outputs: view as Record<string, unknown>,
    metrics: {},
    blobs,
    timingsMs: { total: 3 },
    ...origin,
  }
}

export function attributeRunOf(text: string, shift = 0): NewRun {
  const contributions = [
    { position: 0, tokenId: 464, text: 'The', sense: 3, value: 1.5 + shift },
    { position: 1, tokenId: 15849, text: ' nurse', sense: 10, value: -0.75 },
  ]
  const view: AttributeResponse = {
    position: 1,
    target: { id: 373, text: ' was' },
    logit: 0.75 + shift,
    total: 0.75 + shift,
    contributions,
    edited: shift !== 0,
  }
  return {
    kind: 'attribute',
    inputs: { text },
    settings: { position: 1, target: ' was' },
    outputs: view as unknown as Record<string, unknown>,
    metrics: { logit: view.logit },
    blobs: { 'contributions.value': f32(contributions.map((c) => c.value)) },
    timingsMs: { total: 4 },
    ...origin,
  }
}

/** An evaluation of named documents: the per-token log-probs go to a blob, as the API's base64 `logProbs` does. */
export function evaluateRunOf(documents: { name: string; text: string }[], shift = 0): NewRun {
  const perDoc = documents.map((d, i) => Array.from({ length: 3 + i }, (_, j) => -1 - j / 4 - shift))
  const figures = (lps: number[]) => {
    const sum = lps.reduce((a, b) => a + b, 0)
    return {
      tokens: lps.length + 1,
      predicted: lps.length,
      sumLogProb: sum,
      meanLogProb: sum / lps.length,
      perplexity: Math.exp(-sum / lps.length),
    }
  }
  const all = perDoc.flat()
  const response: Omit<EvaluateResponse, 'logProbs'> = {
    documents: documents.map((d, i) => ({ name: d.name, ...figures(perDoc[i]) })),
    total: { ...figures(all), tokens: perDoc.reduce((n, l) => n + l.length + 1, 0), documents: documents.length },
    window: 64,
    edited: shift !== 0,
    timingsMs: { total: 6 },
  }
  return {
    kind: 'evaluate',
    inputs: { documents },
    settings: {},
    outputs: response as unknown as Record<string, unknown>,
    metrics: { perplexity: response.total.perplexity, meanLogProb: response.total.meanLogProb },
    blobs: { logProbs: f32(all) },
    timingsMs: { total: 6 },
    ...origin,
  }
}

/** One run of every kind (and every suite and lookup), all figures moved by `shift`. */
export function runsOfEveryKind(shift = 0, generated: string[] | null = null): NewRun[] {
  return [
    predictRunOf('The nurse said', shift),
    generateRunOf('The nurse said', [' that', ' she', ' was'], generated),
    genderBiasRunOf(shift),
    knowledgeEditRunOf(shift),
    topicRunOf(shift),
    atlasRunOf('nurse', shift),
    neighboursRunOf('nurse', shift),
    reverseRunOf(' nurse', shift),
    attributeRunOf('The nurse', shift),
    evaluateRunOf(
      [
        { name: 'a.txt', text: 'One two three.' },
        { name: 'b.txt', text: 'Four five six seven.' },
      ],
      shift,
    ),
  ]
}

function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length
}
