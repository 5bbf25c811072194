import { WorkbenchError } from '../../shared/errors'
import { multiTokenNote, parseWordPolicy } from '../../main/senses/resolve-word'
import { parseFlags, type CliCommand } from '../cli-command'
import { ENGINE_FLAGS, intFlag } from './analysis-engine'
import { callAndSave, SAVE_FLAGS, saveTarget, withWorkbench } from './cli-workbench'
import { TIES_DETAILS, tiesFlag } from './ties-flag'

/**
 * `senses --word W [--top 10] [--policy first|mean] [--raw-spacing] [--bins 20] [--vectors]
 * [--ties collapse|show] [--checkpoint DIR]`: a word's sense atlas — per sense the top/bottom tokens of E·C with scores
 * and the score distribution over the vocabulary (docs/analysis.md). A word of several tokens is
 * taken as its first token's senses or their mean (--policy, default first); which, and the
 * tokens, are printed on stderr as well as in the JSON. senses.lookup through the handler table;
 * --save-new NAME / --save ID record it as a run.
 */
export const senses: CliCommand = {
  details:
    "--policy first|mean: how a word of several tokens becomes sense vectors (first: its first token's senses, the default; mean: the mean over its tokens). " +
    'For such a word the tokens and the policy used are printed on stderr, and in the JSON (tokens, policy, used, multiToken). ' +
    TIES_DETAILS,
  async run(args, io) {
    const { values } = parseFlags(args, {
      ...ENGINE_FLAGS,
      word: { type: 'string', description: 'the word to look up (mind the leading space: " nurse")' },
      top: { type: 'string', description: 'how many top and bottom tokens per sense', defaultText: '10' },
      policy: {
        type: 'string',
        description: 'first or mean: a word of several tokens as its first token or their mean',
        defaultText: 'first',
      },
      'raw-spacing': { type: 'boolean', description: 'take --word exactly as given (no leading space added)' },
      bins: { type: 'string', description: "histogram bins of each sense's score distribution", defaultText: '20' },
      vectors: { type: 'boolean', description: 'include the sense vectors themselves in the JSON' },
      ties: {
        type: 'string',
        description: 'collapse or show: tokens sharing one embedding row as one labelled entry, or each on its own',
        defaultText: 'collapse',
      },
      ...SAVE_FLAGS,
    })
    if (!values.word) throw new WorkbenchError('bad-request', '--word W is required')
    const policy = parseWordPolicy(values.policy ?? 'first', '--policy')
    const top = intFlag(values.top, 'top', 10, 1, 1000)
    const bins = intFlag(values.bins, 'bins', 20, 1, 1000)
    const mode = tiesFlag(values.ties)
    const target = saveTarget(values)
    return withWorkbench(values, async (wb) => {
      const request = {
        word: values.word as string,
        topK: top,
        ...(values.policy !== undefined ? { policy } : {}),
        ties: mode,
        ...(values['raw-spacing'] ? { rawSpacing: true } : {}),
        ...(values.bins !== undefined ? { bins } : {}),
        ...(values.vectors ? { vectors: true } : {}),
      }
      const { response: atlas, saved } = await callAndSave(wb, 'senses.lookup', request, target)
      const note = multiTokenNote(atlas)
      if (note) io.stderr.write(`note: ${note}\n`)
      return { ...atlas, ...(saved ? { saved } : {}) }
    })
  },
}
