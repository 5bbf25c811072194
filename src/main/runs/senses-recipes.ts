import type { RunSpec } from '../../shared/store/experiment-types'
import type { RunRecipe } from './run-recipe'
import { answerOf } from './prompt-spec'

/**
 * The sense lookups → `senses` runs (inputs.lookup: atlas, neighbours or reverse, with the word or
 * token): settings every other request field; outputs the lookup's answer; metrics its headline
 * figures (sense norms, the best neighbour's and the best pair's score).
 */
const isLookup = (name: string) => (spec: RunSpec) => spec.kind === 'senses' && spec.inputs.lookup === name
const optional = <T>(key: string, value: T | undefined) => (value !== undefined ? { [key]: value } : {})

export const atlasRecipe: RunRecipe<'senses.lookup'> = {
  method: 'senses.lookup',
  kind: 'senses',
  matches: isLookup('atlas'),
  spec: (r) => ({
    kind: 'senses',
    inputs: { lookup: 'atlas', word: r.word },
    settings: {
      topK: r.topK,
      ...optional('policy', r.policy),
      ties: r.ties,
      ...optional('rawSpacing', r.rawSpacing),
      ...optional('bins', r.bins),
      ...optional('vectors', r.vectors),
    },
  }),
  request: (spec) => ({ word: spec.inputs.word, ...spec.settings }),
  record(_request, a) {
    const norms = a.senses.map((c) => c.norm)
    return {
      outputs: answerOf(a),
      metrics: Object.fromEntries([
        ...norms.map((n, i) => [`sense${a.senses[i].sense}.norm`, n]),
        ['meanNorm', norms.reduce((x, y) => x + y, 0) / Math.max(1, norms.length)],
      ]),
      blobs: { norms: { dtype: 'float32', shape: [norms.length], data: Float32Array.from(norms) } },
      timingsMs: {},
    }
  },
}

export const neighboursRecipe: RunRecipe<'senses.neighbours'> = {
  method: 'senses.neighbours',
  kind: 'senses',
  matches: isLookup('neighbours'),
  spec: (r) => ({
    kind: 'senses',
    inputs: { lookup: 'neighbours', word: r.word },
    settings: { sense: r.sense, topK: r.topK, ...optional('policy', r.policy), ties: r.ties, ...optional('rawSpacing', r.rawSpacing) },
  }),
  request: (spec) => ({ word: spec.inputs.word, ...spec.settings }),
  record: (_request, n) => ({ outputs: answerOf(n), metrics: topScore(n.neighbours), timingsMs: {} }),
}

export const reverseRecipe: RunRecipe<'senses.reverse'> = {
  method: 'senses.reverse',
  kind: 'senses',
  matches: isLookup('reverse'),
  spec: (r) => ({
    kind: 'senses',
    inputs: { lookup: 'reverse', token: r.token },
    settings: { direction: r.direction, topK: r.topK, ties: r.ties },
  }),
  request: (spec) => ({ token: spec.inputs.token, ...spec.settings }),
  record(_request, r) {
    const { timingsMs } = r as typeof r & { timingsMs?: Record<string, number> }
    // the token as its id, whether the request gave an id or text: every door stores the same
    return { inputs: { token: r.target.id }, outputs: answerOf(r), metrics: topScore(r.entries), timingsMs: { ...timingsMs } }
  },
}

function topScore(list: readonly { score: number }[]): Record<string, number> {
  return list.length > 0 ? { topScore: list[0].score } : {}
}
