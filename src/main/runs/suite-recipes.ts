import type { RunBlob, RunSpec } from '../../shared/store/experiment-types'
import type { RunRecipe } from './run-recipe'
import { answerOf } from './prompt-spec'

/**
 * The three suites → `suite` runs (inputs.suite names which): settings every request setting
 * (topic: the seed included); outputs the suite's whole answer (summary and per-item rows);
 * metrics the summary figures; the per-item values also as float64 blobs, for notebooks.
 */
const isSuite = (name: string) => (spec: RunSpec) => spec.kind === 'suite' && spec.inputs.suite === name
/** every request field but the edits and the run id (defaults filled in by validation) */
const settingsOf = (r: object): Record<string, unknown> => {
  const { edits: _edits, runId: _runId, ...settings } = r as Record<string, unknown>
  return Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== undefined))
}

export const genderBiasRecipe: RunRecipe<'suites.genderBias'> = {
  method: 'suites.genderBias',
  kind: 'suite',
  matches: isSuite('gender-bias'),
  spec: (r) => ({ kind: 'suite', inputs: { suite: 'gender-bias' }, settings: settingsOf(r) }),
  request: (spec) => ({ ...spec.settings }),
  record(_request, g) {
    const rows = g.perProfession
    const s = g.settings
    const blobs: Record<string, RunBlob> = {
      unmodified: column(rows.map((r) => r.unmodified)),
      removeSense: column(rows.map((r) => r.removeSense)),
    }
    if (rows.some((r) => r.optimizeSense !== undefined)) blobs.optimizeSense = column(rows.map((r) => r.optimizeSense ?? NaN))
    return {
      outputs: answerOf(g),
      metrics: {
        sense: g.sense,
        professions: g.professions.used.length,
        unmodifiedMeanBias: s.unmodified.meanBias,
        removeSenseMeanBias: s.removeSense.meanBias,
        removeSenseReduction: s.removeSense.reduction,
        ...(s.optimizeSense
          ? {
              optimizeSenseMeanBias: s.optimizeSense.meanBias,
              optimizeSenseReduction: s.optimizeSense.reduction,
              optimizeSenseMeanW: s.optimizeSense.meanW,
            }
          : {}),
      },
      blobs,
      timingsMs: {},
    }
  },
}

export const knowledgeEditRecipe: RunRecipe<'suites.knowledgeEdit'> = {
  method: 'suites.knowledgeEdit',
  kind: 'suite',
  matches: isSuite('knowledge-edit'),
  // a held-out text given is an input of the run (the default one is the suite's own)
  spec: ({ heldoutText, ...r }) => ({
    kind: 'suite',
    inputs: { suite: 'knowledge-edit', ...(heldoutText !== undefined ? { heldoutText } : {}) },
    settings: settingsOf(r),
  }),
  request: (spec) => ({
    ...(typeof spec.inputs.heldoutText === 'string' ? { heldoutText: spec.inputs.heldoutText } : {}),
    ...spec.settings,
  }),
  record(_request, k) {
    const metrics: Record<string, number> = {}
    for (const c of k.cases) {
      metrics[`${c.name}.logOddsChange`] = c.mean.logOddsChange
      metrics[`${c.name}.heldoutRelativeChange`] = c.degradation.heldout.relativeChange
      if (c.degradation.mentions) metrics[`${c.name}.mentionsRelativeChange`] = c.degradation.mentions.relativeChange
    }
    return { outputs: answerOf(k), metrics, blobs: { logOddsChange: column(k.cases.map((c) => c.mean.logOddsChange)) }, timingsMs: {} }
  },
}

export const topicRecipe: RunRecipe<'suites.topic'> = {
  method: 'suites.topic',
  kind: 'suite',
  matches: isSuite('topic'),
  spec: (r) => ({ kind: 'suite', inputs: { suite: 'topic' }, settings: settingsOf(r) }),
  request: (spec) => ({ ...spec.settings }),
  record(_request, t) {
    const metrics: Record<string, number> = {}
    for (const row of t.summary) {
      metrics[`strength${row.strength}.bagMass`] = row.bagMass
      metrics[`strength${row.strength}.bagShare`] = row.bagShare
      metrics[`strength${row.strength}.perplexity`] = row.perplexity
    }
    const strengths = t.topics[0]?.results.length ?? 0
    const grid = (pick: (x: { bagMass: number; perplexity: number }) => number): RunBlob => ({
      dtype: 'float64',
      shape: [t.topics.length, strengths], // (topic, strength)
      data: Float64Array.from(t.topics.flatMap((topic) => topic.results.map(pick))),
    })
    return {
      outputs: answerOf(t),
      metrics,
      blobs: { bagMass: grid((x) => x.bagMass), perplexity: grid((x) => x.perplexity) },
      timingsMs: {},
    }
  },
}

function column(values: number[]): RunBlob {
  return { dtype: 'float64', shape: [values.length], data: Float64Array.from(values) }
}
