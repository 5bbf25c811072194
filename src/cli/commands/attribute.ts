import { WorkbenchError } from '../../shared/errors'
import { parseFlags, type CliCommand } from '../cli-command'
import { EDITS_FLAG, ENGINE_FLAGS, PROMPT_FLAGS, intFlag, promptFlag, promptRequest, tokenFlag } from './analysis-engine'
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
    const ids = promptFlag(values)
    if (values.position === undefined)
      throw new WorkbenchError('bad-request', `--position P is required: a query position in [0, ${ids.length}) or negative from the end`)
    let position = intFlag(values.position, 'position', 0, -ids.length, ids.length - 1)
    if (position < 0) position += ids.length
    const top = intFlag(values.top, 'top', 20, 1, 100_000)
    tokenFlag(values.target, 'target', Infinity) // usage errors before opening the model
    const saveTo = saveTarget(values)
    return withWorkbench(values, async (wb) => {
      const target = tokenFlag(values.target, 'target', wb.model!.config.vocabSize)
      const edits = await editsRequest(wb, values.edits, io)
      const { response: a, saved } = await callAndSave(
        wb,
        'predict.attribute',
        { ...promptRequest(values), position, target, ...(edits ? { edits } : {}) },
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
