import { WorkbenchError } from '../../shared/errors'
import { parseFlags, type CliCommand } from '../cli-command'
import { EDITS_FLAG, ENGINE_FLAGS, PROMPT_FLAGS, intFlag, promptRequest, tokenRefFlag } from './analysis-engine'
import { callAndSave, editsRequest, SAVE_FLAGS, saveTarget, withWorkbench } from './cli-workbench'

/**
 * `attribute (--text "…" | --ids 1,2) --position P --target T [--top 20 | --all] [--edits FILE]`:
 * the exact split of the logit of T at query position P into (source position, sense)
 * contributions α·(E·C)[T]; they sum to the logit. P may be negative (−1 = last token).
 * predict.attribute through the handler table; --save-new NAME / --save ID record it as a run.
 */
export const attribute: CliCommand = {
  async run(args, io) {
    const { values } = parseFlags(args, {
      ...ENGINE_FLAGS,
      ...PROMPT_FLAGS,
      position: { type: 'string', description: 'query position; negative counts from the end (-1 = last token)', defaultText: '0' },
      target: { type: 'string', description: 'the token whose logit is split: an id or one token such as " she"' },
      top: { type: 'string', description: 'how many (position, sense) contributions to print, largest first', defaultText: '20' },
      all: { type: 'boolean', description: 'print every contribution instead of the top ones' },
      ...EDITS_FLAG,
      ...SAVE_FLAGS,
    })
    const prompt = promptRequest(values)
    if (values.position === undefined)
      throw new WorkbenchError('bad-request', '--position P is required: a query position, or negative from the end (-1 = last token)')
    const given = intFlag(values.position, 'position', 0, -100_000, 100_000)
    const target = tokenRefFlag(values.target, 'target')
    const top = intFlag(values.top, 'top', 20, 1, 100_000)
    const saveTo = saveTarget(values)
    return withWorkbench(values, async (wb) => {
      // a negative position counts from the end of the prompt as the handlers tokenize it; the
      // handler checks the position (and the prompt, and the target) against the prompt itself
      let position = given
      if (given < 0 && prompt.ids) position += prompt.ids.length
      else if (given < 0 && prompt.text !== undefined) position += (await wb.call('tokens.encode', { text: prompt.text })).tokens.length
      if (position < 0 && (prompt.ids ?? prompt.text) !== undefined)
        throw new WorkbenchError(
          'bad-request',
          `--position ${given} is before the prompt's first token (it has ${position - given} tokens)`,
        )
      const edits = await editsRequest(wb, values.edits, io)
      const { response: a, saved } = await callAndSave(
        wb,
        'predict.attribute',
        // without a prompt (or with both) the handler's prompt resolution answers, whatever the position
        { ...prompt, position: Math.max(position, 0), target, ...(edits ? { edits } : {}) },
        saveTo,
      )
      const count = a.contributions.length
      return {
        ...a,
        contributions: values.all ? a.contributions : a.contributions.slice(0, top),
        byTokenSense: values.all ? a.byTokenSense : a.byTokenSense?.slice(0, top),
        contributionCount: count,
        ...(saved ? { saved } : {}),
      }
    })
  },
}
