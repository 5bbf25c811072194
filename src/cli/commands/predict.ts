import { analysisRunner } from '../../main/interventions/apply-sense-edits'
import { predictTokens } from '../../main/prediction/predict-tokens'
import { parseFlags, type CliCommand } from '../cli-command'
import { editsFlag, ENGINE_FLAGS, intFlag, promptFlag, tableProgress, withEngine } from './analysis-engine'

/**
 * `predict (--text "…" | --ids 1,2) [--top 10] [--edits FILE] [--checkpoint DIR]`: next-token
 * top-k with probabilities and per-token log-probs (padding ids masked), optionally under edits.
 */
export const predict: CliCommand = {
  summary: 'Next-token top-k and per-token log-probs of a text, optionally under --edits FILE',
  async run(args, io) {
    const { values } = parseFlags(args, {
      ...ENGINE_FLAGS,
      text: { type: 'string' },
      ids: { type: 'string' },
      top: { type: 'string' },
      edits: { type: 'string' },
    })
    const ids = promptFlag(values)
    const top = intFlag(values.top, 'top', 10, 1, 1000)
    return withEngine(values, async (engine) => {
      const edits = await editsFlag(engine, values.edits, io)
      const runner = analysisRunner(engine, { onTableProgress: tableProgress(io) })
      return { contentHash: engine.contentHash, ...(await predictTokens(runner, ids, { top, edits })) }
    })
  },
}
