import { parseFlags, type CliCommand } from '../cli-command'
import { ENGINE_FLAGS, intFlag, tableProgress, tokenFlag } from './analysis-engine'
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
    tokenFlag(values.token, 'token', Infinity) // usage errors before opening the model
    const saveTo = saveTarget(values)
    return withWorkbench(values, async (wb) => {
      const target = tokenFlag(values.token, 'token', wb.model!.config.vocabSize)
      const t0 = performance.now()
      await wb.session!.senseTable({ onProgress: tableProgress(io) }) // built (or read) here, with progress on stderr
      const tTable = performance.now() - t0
      const { response: r, saved } = await callAndSave(
        wb,
        'senses.reverse',
        { token: target, topK: top, direction: values.suppress ? 'suppress' : 'boost', ties: mode },
        saveTo,
      )
      const timings = (r as typeof r & { timingsMs?: Record<string, number> }).timingsMs
      return { ...r, timingsMs: { table: tTable, ...timings }, ...(saved ? { saved } : {}) }
    })
  },
}
