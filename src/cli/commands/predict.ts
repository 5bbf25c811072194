import { WorkbenchError } from '../../shared/errors'
import { isVectorEdit } from '../../shared/edits/parse-sense-edits'
import { parseFlags, type CliCommand } from '../cli-command'
import { resolveTokenRef } from '../../main/workbench/resolve-prompt'
import { EDITS_FLAG, ENGINE_FLAGS, PROMPT_FLAGS, intFlag, promptRequest, tokenRefFlag } from './analysis-engine'
import { callAndSave, editsRequest, SAVE_FLAGS, saveTarget, withWorkbench } from './cli-workbench'

/**
 * `predict (--text "…" | --ids 1,2) [--top 10] [--edits FILE [--log-odds A --log-odds B]]
 * [--checkpoint DIR] [--save-new NAME | --save ID] [--db PATH]`: predict.next through the handler
 * table — next-token top-k with probabilities and per-token log-probs (padding ids masked),
 * optionally under edits, saved as an experiment run with the save flags. With two --log-odds
 * tokens it also prints the edits' blast radius on log p(A) − log p(B) (the worst case over all
 * contexts of the vector edits, computed before running) and the change they make at each
 * position of this prompt; topic and α edits are not bounded (`notCovered`), and with them the
 * whole document's change is `observedChangeAllEdits`.
 */
export const predict: CliCommand = {
  async run(args, io) {
    const { values } = parseFlags(args, {
      ...ENGINE_FLAGS,
      ...PROMPT_FLAGS,
      top: { type: 'string', description: 'how many next tokens to list', defaultText: '10' },
      ...EDITS_FLAG,
      'log-odds': {
        type: 'string',
        multiple: true,
        description: 'give twice (A, B): the blast radius and change of log p(A) - log p(B) under --edits',
      },
      ...SAVE_FLAGS,
    })
    const prompt = promptRequest(values)
    const top = intFlag(values.top, 'top', 10, 1, 1000)
    const pair = values['log-odds']?.map((t) => tokenRefFlag(t, 'log-odds'))
    if (pair && (pair.length !== 2 || values.edits === undefined))
      throw new WorkbenchError('bad-request', '--log-odds takes exactly two tokens (give the flag twice) and needs --edits FILE')
    const target = saveTarget(values)
    return withWorkbench(values, async (wb) => {
      // the --log-odds tokens by the handlers' token resolution, before anything runs
      const [a, b] = pair?.map((t) => resolveTokenRef(wb.session!, t, '--log-odds')) ?? []
      const edits = await editsRequest(wb, values.edits, io)
      const { response, saved } = await callAndSave(wb, 'predict.next', { ...prompt, topK: top, ...(edits ? { edits } : {}) }, target)
      const out = { ...response, ...(saved ? { saved } : {}) }
      if (!pair || !edits) return out
      const { engine, runner } = wb.session!
      const ids = response.tokens.map((t) => t.id) // the prompt as the handler resolved it
      const parsed = await wb.session!.parseEdits(edits)
      const radius = await runner.blastRadius(parsed, a, b)
      const V = engine.config.vocabSize
      const before = await runner.run(ids, null)
      const change = (after: { logits: Float32Array }) =>
        ids.map((_, i) => after.logits[i * V + a] - after.logits[i * V + b] - (before.logits[i * V + a] - before.logits[i * V + b]))
      // observedChange: under the edits the radius bounds (the vector edits); with topic or α
      // edits in the document, the whole document's change is reported apart (not bounded)
      const bounded = radius.notCovered.length > 0 ? { ...parsed, edits: parsed.edits.filter(isVectorEdit) } : parsed
      const observed = change(await runner.run(ids, bounded))
      const all = radius.notCovered.length > 0 ? { observedChangeAllEdits: change(await runner.run(ids, parsed)) } : {}
      return { ...out, blastRadius: { ...radius, observedChange: observed, ...all } }
    })
  },
}
