import { WorkbenchError } from '../../shared/errors'
import { isVectorEdit } from '../../shared/edits/parse-sense-edits'
import { predictTokens } from '../../main/prediction/predict-tokens'
import { parseFlags, type CliCommand } from '../cli-command'
import { EDITS_FLAG, editsFlag, ENGINE_FLAGS, PROMPT_FLAGS, intFlag, promptFlag, tableProgress, tokenFlag, withSession } from './analysis-engine'

/**
 * `predict (--text "…" | --ids 1,2) [--top 10] [--edits FILE [--log-odds A --log-odds B]]
 * [--checkpoint DIR]`: next-token top-k with probabilities and per-token log-probs (padding ids
 * masked), optionally under edits. With two --log-odds tokens it also prints the edits' blast
 * radius on log p(A) − log p(B) (the worst case over all contexts of the vector edits, computed
 * before running) and the change they make at each position of this prompt; topic and α edits
 * are not bounded (`notCovered`), and with them the whole document's change is
 * `observedChangeAllEdits`.
 */
export const predict: CliCommand = {
  async run(args, io) {
    const { values } = parseFlags(args, {
      ...ENGINE_FLAGS,
      ...PROMPT_FLAGS,
      top: { type: 'string', description: 'how many next tokens to list', defaultText: '10' },
      ...EDITS_FLAG,
      'log-odds': { type: 'string', multiple: true, description: 'give twice (A, B): the blast radius and change of log p(A) - log p(B) under --edits' },
    })
    const ids = promptFlag(values)
    const top = intFlag(values.top, 'top', 10, 1, 1000)
    const pair = values['log-odds']
    if (pair && (pair.length !== 2 || values.edits === undefined)) throw new WorkbenchError('bad-request', '--log-odds takes exactly two tokens (give the flag twice) and needs --edits FILE')
    pair?.forEach((t) => tokenFlag(t, 'log-odds', Infinity))
    return withSession(values, async (session) => {
      const { engine, runner } = session
      const edits = await editsFlag(session, values.edits, io)
      const onTableProgress = tableProgress(io)
      const prediction = await predictTokens(runner, ids, { top, edits, onTableProgress })
      if (!pair || !edits) return { contentHash: engine.contentHash, ...prediction }
      const [a, b] = pair.map((t) => tokenFlag(t, 'log-odds', engine.config.vocabSize))
      const radius = await runner.blastRadius(edits, a, b)
      const V = engine.config.vocabSize
      const before = await runner.run(ids, null)
      const change = (after: { logits: Float32Array }) => ids.map((_, i) => after.logits[i * V + a] - after.logits[i * V + b] - (before.logits[i * V + a] - before.logits[i * V + b]))
      // observedChange: under the edits the radius bounds (the vector edits); with topic or α
      // edits in the document, the whole document's change is reported apart (not bounded)
      const bounded = radius.notCovered.length > 0 ? { ...edits, edits: edits.edits.filter(isVectorEdit) } : edits
      const observed = change(await runner.run(ids, bounded))
      const all = radius.notCovered.length > 0 ? { observedChangeAllEdits: change(await runner.run(ids, edits, { onTableProgress })) } : {}
      return { contentHash: engine.contentHash, ...prediction, blastRadius: { ...radius, observedChange: observed, ...all } }
    })
  },
}
