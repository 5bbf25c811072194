import { reverseLookup } from '../../main/senses/reverse-lookup'
import { parseFlags, type CliCommand } from '../cli-command'
import { ENGINE_FLAGS, intFlag, tableProgress, tokenFlag, withSession } from './analysis-engine'
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
      ties: { type: 'string', description: 'collapse or show: tokens sharing one embedding row as one labelled entry, or each on its own', defaultText: 'collapse' },
    })
    const mode = tiesFlag(values.ties)
    const top = intFlag(values.top, 'top', 20, 1, 1000)
    tokenFlag(values.token, 'token', Infinity) // usage errors before opening the model
    return withSession(values, async (session) => {
      const { engine } = session
      const target = tokenFlag(values.token, 'token', engine.config.vocabSize)
      const t0 = performance.now()
      const table = await session.senseTable({ onProgress: tableProgress(io) })
      const tTable = performance.now() - t0
      const r = await reverseLookup(engine, table, target, { top, direction: values.suppress ? 'suppress' : 'boost', ties: await session.tiesOption(mode) })
      return { contentHash: engine.contentHash, ...r, timingsMs: { table: tTable, ...r.timingsMs } }
    })
  },
}
