import { WorkbenchError } from '../../shared/errors'
import { multiTokenNote, parseWordPolicy } from '../../main/senses/resolve-word'
import { parseFlags, type CliCommand } from '../cli-command'
import { ENGINE_FLAGS, intFlag, tableProgress } from './analysis-engine'
import { callAndSave, SAVE_FLAGS, saveTarget, withWorkbench } from './cli-workbench'
import { TIES_DETAILS, tiesFlag } from './ties-flag'

/**
 * `neighbours --word W [--sense L | --min] [--top 10] [--policy first|mean] [--ties collapse|show]
 * [--checkpoint DIR]`:
 * nearest tokens by Sim_ℓ (one sense) or Sim_min (default), from the whole-vocabulary sense
 * table (built once per checkpoint, progress on stderr). A word of several tokens: as `senses`
 * (--policy, default first; the tokens and the policy used are printed on stderr).
 */
export const neighbours: CliCommand = {
  details:
    '--policy first|mean: how a word of several tokens becomes its query vectors (as for senses; default first). ' +
    'For such a word the tokens and the policy used are printed on stderr, and in the JSON (tokens, policy, used, multiToken). ' +
    TIES_DETAILS,
  async run(args, io) {
    const { values } = parseFlags(args, {
      ...ENGINE_FLAGS,
      word: { type: 'string', description: 'the word to look up (mind the leading space: " nurse")' },
      sense: { type: 'string', description: "rank by this one sense's cosine (Sim_ℓ), 0..senses-1; or --min" },
      min: { type: 'boolean', description: 'rank by the minimum cosine over senses (Sim_min); the default without --sense' },
      top: { type: 'string', description: 'how many neighbours to list', defaultText: '10' },
      policy: {
        type: 'string',
        description: 'first or mean: a word of several tokens as its first token or their mean',
        defaultText: 'first',
      },
      'raw-spacing': { type: 'boolean', description: 'take --word exactly as given (no leading space added)' },
      ties: {
        type: 'string',
        description: 'collapse or show: tokens sharing one embedding row as one labelled entry, or each on its own',
        defaultText: 'collapse',
      },
      ...SAVE_FLAGS,
    })
    if (!values.word) throw new WorkbenchError('bad-request', '--word W is required')
    if (values.sense !== undefined && values.min) throw new WorkbenchError('bad-request', 'give --sense L or --min, not both')
    const policy = parseWordPolicy(values.policy ?? 'first', '--policy')
    const top = intFlag(values.top, 'top', 10, 1, 1000)
    const mode = tiesFlag(values.ties)
    const target = saveTarget(values)
    return withWorkbench(values, async (wb) => {
      const measure = values.sense !== undefined ? intFlag(values.sense, 'sense', 0, 0, wb.model!.config.numSenses - 1) : ('min' as const)
      await wb.session!.senseTable({ onProgress: tableProgress(io) }) // built (or read) here, with progress on stderr
      const request = {
        word: values.word as string,
        sense: measure,
        topK: top,
        ...(values.policy !== undefined ? { policy } : {}),
        ties: mode,
        ...(values['raw-spacing'] ? { rawSpacing: true } : {}),
      }
      const { response: found, saved } = await callAndSave(wb, 'senses.neighbours', request, target)
      const note = multiTokenNote(found)
      if (note) io.stderr.write(`note: ${note}\n`)
      return { ...found, ...(saved ? { saved } : {}) }
    })
  },
}
