import { WorkbenchError } from '../../shared/errors'
import { senseNeighbours } from '../../main/senses/sense-neighbours'
import { openSenseTable } from '../../main/senses/sense-table'
import { parseFlags, type CliCommand } from '../cli-command'
import { ENGINE_FLAGS, intFlag, tableProgress, withEngine } from './analysis-engine'

/**
 * `neighbours --word W [--sense L | --min] [--top 10] [--policy first|mean] [--checkpoint DIR]`:
 * nearest tokens by Sim_ℓ (one sense) or Sim_min (default), from the whole-vocabulary sense
 * table (built once per checkpoint, progress on stderr).
 */
export const neighbours: CliCommand = {
  async run(args, io) {
    const { values } = parseFlags(args, {
      ...ENGINE_FLAGS,
      word: { type: 'string' },
      sense: { type: 'string' },
      min: { type: 'boolean' },
      top: { type: 'string' },
      policy: { type: 'string' },
      'raw-spacing': { type: 'boolean' },
    })
    if (!values.word) throw new WorkbenchError('bad-request', '--word W is required')
    if (values.sense !== undefined && values.min) throw new WorkbenchError('bad-request', 'give --sense L or --min, not both')
    const policy = values.policy ?? 'first'
    if (policy !== 'first' && policy !== 'mean') throw new WorkbenchError('bad-request', `--policy must be "first" or "mean", got ${JSON.stringify(policy)}`)
    const top = intFlag(values.top, 'top', 10, 1, 1000)
    return withEngine(values, async (engine) => {
      const measure = values.sense !== undefined ? intFlag(values.sense, 'sense', 0, 0, engine.config.numSenses - 1) : 'min'
      const table = await openSenseTable(engine, { onProgress: tableProgress(io) })
      return { contentHash: engine.contentHash, ...(await senseNeighbours(engine, table, values.word as string, { measure, top, policy, rawSpacing: values['raw-spacing'] })) }
    })
  },
}
