import { WorkbenchError } from '../../shared/errors'
import type { ApiEvent } from '../../shared/ipc/api'
import { readCorpus } from '../../main/evaluation/read-corpus'
import { parseFlags, type CliCommand, type CliIo } from '../cli-command'
import { intFlag } from './analysis-engine'
import { callAndSave, editsRequest, withWorkbench } from './cli-workbench'

const RUN_ID = 'cli-evaluate'

/**
 * `evaluate (--file F | --dir D) [--edits E] [--checkpoint DIR] [--save-new NAME | --save ID]
 * [--db PATH]`: per-token log-probs and perplexity of a text file or of every `.txt` file of a
 * folder, under the edits (docs/evaluation.md), through the `evaluate.run` handler every door uses.
 * Prints the per-document rows and the pooled total (the log-probs themselves stay out of the
 * JSON; a saved run keeps them as a blob); progress goes to stderr. With --save-new / --save the
 * call is recorded as a run by `experiments.saveRun` and `saved: {experimentId, runId}` is printed.
 */
export const evaluate: CliCommand = {
  details: [
    'Give exactly one of --file and --dir, and at most one of --save-new and --save; --db only with them.',
    'A folder means every .txt file directly in it, in name order (at most 1000; each at most 1,000,000 characters).',
    "Windows of the model's n_positions tokens overlapping by one token; every token but each document's first is predicted; natural log.",
  ].join('\n'),
  async run(args, io) {
    const { values } = parseFlags(args, {
      file: { type: 'string', arg: 'F', description: 'a UTF-8 text file: one document' },
      dir: { type: 'string', arg: 'D', description: 'a folder: every .txt file directly in it is a document, sorted by name' },
      edits: {
        type: 'string',
        arg: 'E',
        description: 'a sense-edit document (JSON) to evaluate under',
        defaultText: 'none (the plain model)',
      },
      checkpoint: {
        type: 'string',
        arg: 'DIR',
        description: 'checkpoint directory (Hugging Face layout); converted to ONNX once, cached',
        defaultText: 'the bundled demo model',
      },
      'save-new': {
        type: 'string',
        arg: 'NAME',
        description: 'record the run in a new experiment of this name holding the --edits (none: a baseline)',
      },
      save: { type: 'string', arg: 'EXPERIMENT_ID', description: 'record the run in this experiment, whose edits must equal --edits' },
      db: {
        type: 'string',
        arg: 'PATH',
        description: 'the experiment log (SQLite file) --save-new/--save write to',
        defaultText: 'experiments.sqlite in the user data folder',
      },
    })
    if ((values.file === undefined) === (values.dir === undefined))
      throw new WorkbenchError('bad-request', 'give exactly one of --file F (one document) and --dir D (every .txt file in it)')
    if (values['save-new'] !== undefined && values.save !== undefined)
      throw new WorkbenchError(
        'bad-request',
        'give at most one of --save-new NAME (a new experiment) and --save EXPERIMENT_ID (an existing one)',
      )
    const saving = values['save-new'] !== undefined || values.save !== undefined
    if (values.db !== undefined && !saving)
      throw new WorkbenchError(
        'bad-request',
        '--db names the experiment log --save-new/--save write to; give one of them, or leave --db out',
      )
    const experimentId = values.save !== undefined ? intFlag(values.save, 'save', 0, 1, Number.MAX_SAFE_INTEGER) : undefined
    const documents = await readCorpus(values.file !== undefined ? { file: values.file } : { dir: values.dir as string })
    const target = experimentId !== undefined ? { experimentId } : values['save-new'] !== undefined ? { name: values['save-new'] } : null
    return withWorkbench(values, async (wb) => {
      const off = wb.events.subscribe(progressLines(io))
      try {
        const edits = await editsRequest(wb, values.edits, io)
        const request = { documents, ...(edits !== undefined ? { edits } : {}) }
        // the run id lets the handler report progress; saving answers from the session's memo
        const { response, saved } = await callAndSave(wb, 'evaluate.run', { ...request, runId: RUN_ID }, target)
        const { logProbs: _logProbs, ...shown } = response
        return { contentHash: wb.model!.contentHash, editsFile: values.edits ?? null, ...shown, ...(saved ? { saved } : {}) }
      } finally {
        off()
      }
    })
  },
}

/** The evaluation's progress as stderr lines, about every 10% of the predicted tokens. */
function progressLines(io: CliIo) {
  let shown = -1
  return (e: ApiEvent) => {
    if (e.name !== 'run.progressed' || e.payload.runId !== RUN_ID) return
    const { done, total, message } = e.payload
    const tenth = Math.floor((10 * done) / Math.max(1, total))
    if (tenth === shown) return
    shown = tenth
    io.stderr.write(`evaluate: ${done}/${total} tokens (${message ?? ''})\n`)
  }
}
