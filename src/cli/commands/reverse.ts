import { parseFlags, type CliCommand } from '../cli-command'
import { resolveTokenRef } from '../../main/workbench/resolve-prompt'
import { ENGINE_FLAGS, intFlag, tableProgress, tokenRefFlag } from './analysis-engine'
import { callAndSave, SAVE_FLAGS, saveTarget, withWorkbench } from './cli-workbench'
import { TIES_DETAILS, tiesFlag } from './ties-flag'

/**
 * `reverse --token T [--top 20] [--suppress] [--ties collapse|show] [--checkpoint DIR]`: which (word, sense) pairs most
 * boost (or, with --suppress, most lower) token T's logit. Builds the whole-vocabulary sense table
 * on first use (progress on stderr; cached under the cache dir, resumable).
 */
export const reverse: CliCommand = {
  details: TIES_DETAILS,
  async run(args, io) {
    const { values } = parseFlags(args, {
      ...ENGINE_FLAGS,
      token: { type: 'string', description: 'the token to explain: an id or one token such as " she"' },
      top: { type: 'string', description: 'how many (word, sense) pairs to list', defaultText: '20' },
      suppress: { type: 'boolean', description: 'list the pairs that most lower the token instead of boost it' },
      ties: {
        type: 'string',
        description: 'collapse or show: tokens sharing one embedding row as one labelled entry, or each on its own',
        defaultText: 'collapse',
      },
      ...SAVE_FLAGS,
    })
    const mode = tiesFlag(values.ties)
    const top = intFlag(values.top, 'top', 20, 1, 1000)
    const token = tokenRefFlag(values.token, 'token')
    const saveTo = saveTarget(values)
    return withWorkbench(values, async (wb) => {
      // checked by the handlers' token resolution before the sense table is built (minutes on
      // first use of a checkpoint), not after it; senses.reverse resolves it again, as every door
      resolveTokenRef(wb.session!, token, '--token')
      const t0 = performance.now()
      await wb.session!.senseTable({ onProgress: tableProgress(io) }) // built (or read) here, with progress on stderr
      const tTable = performance.now() - t0
      const { response: r, saved } = await callAndSave(
        wb,
        'senses.reverse',
        { token, topK: top, direction: values.suppress ? 'suppress' : 'boost', ties: mode },
        saveTo,
      )
      const timings = (r as typeof r & { timingsMs?: Record<string, number> }).timingsMs
      return { ...r, timingsMs: { table: tTable, ...timings }, ...(saved ? { saved } : {}) }
    })
  },
}
