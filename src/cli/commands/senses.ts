import { WorkbenchError } from '../../shared/errors'
import { WORD_POLICIES, type WordPolicy } from '../../shared/word-policy'
import { senseAtlas } from '../../main/senses/sense-atlas'
import { parseFlags, type CliCommand } from '../cli-command'
import { ENGINE_FLAGS, intFlag, withEngine } from './analysis-engine'

/**
 * `senses --word W [--top 10] [--policy first|mean] [--raw-spacing] [--bins 20] [--vectors]
 * [--checkpoint DIR]`: a word's sense atlas — per sense the top/bottom tokens of E·C with scores
 * and the score distribution over the vocabulary (docs/analysis.md).
 */
export const senses: CliCommand = {
  async run(args) {
    const { values } = parseFlags(args, {
      ...ENGINE_FLAGS,
      word: { type: 'string' },
      top: { type: 'string' },
      policy: { type: 'string' },
      'raw-spacing': { type: 'boolean' },
      bins: { type: 'string' },
      vectors: { type: 'boolean' },
    })
    if (!values.word) throw new WorkbenchError('bad-request', '--word W is required')
    const policy = (values.policy ?? 'first') as WordPolicy
    if (!WORD_POLICIES.includes(policy)) throw new WorkbenchError('bad-request', `--policy must be one of ${WORD_POLICIES.map((p) => JSON.stringify(p)).join(', ')}, got ${JSON.stringify(values.policy)}`)
    const top = intFlag(values.top, 'top', 10, 1, 1000)
    const bins = intFlag(values.bins, 'bins', 20, 1, 1000)
    return withEngine(values, async (engine) => ({
      contentHash: engine.contentHash,
      ...(await senseAtlas(engine, values.word as string, { top, bins, policy, rawSpacing: values['raw-spacing'], includeVectors: values.vectors })),
    }))
  },
}
