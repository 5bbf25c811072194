import { join, resolve } from 'node:path'
import { WorkbenchError } from '../../shared/errors'
import { writeNpy } from '../../main/npy/npy'
import { createFolder } from '../../main/paths/create-folder'
import { parseFlags, type CliCommand } from '../cli-command'
import { EDITS_FLAG, ENGINE_FLAGS, PROMPT_FLAGS, promptRequest } from './analysis-engine'
import { editsRequest, withWorkbench } from './cli-workbench'

/**
 * `forward [--checkpoint DIR | --onnx DIR] (--ids 1,2,3 | --text "…") --out OUTDIR [--provider P]
 * [--truncate] [--edits FILE] [--weights mapped|prepacked]`: predict.forward through the handler
 * table — the full pass (under a sense-edit document with --edits) — and writes logits.npy (pos, vocab), senses.npy (sense, pos, d_model) and contextualization.npy
 * (sense, pos, pos) as float32 LE (HF layouts, batch dropped); prints a JSON summary. More than n_positions ids is a `too-long` error unless
 * --truncate keeps the first n_positions.
 */
export const forward: CliCommand = {
  details:
    '--weights mapped (default) keeps the weights memory-mapped from the conversion cache: the model opens several times faster; prepacked packs them for the CPU kernels at open, as the app does (same results)',
  async run(args, io) {
    const { values } = parseFlags(args, {
      ...ENGINE_FLAGS,
      ...PROMPT_FLAGS,
      out: { type: 'string', description: 'directory to write logits.npy, senses.npy and contextualization.npy into' },
      truncate: { type: 'boolean', description: 'keep the first n_positions ids instead of refusing a longer prompt' },
      ...EDITS_FLAG,
      weights: {
        type: 'string',
        description: 'mapped (memory-mapped, opens faster) or prepacked (as the app does)',
        defaultText: 'mapped',
      },
    })
    const weights = values.weights ?? 'mapped'
    if (weights !== 'mapped' && weights !== 'prepacked')
      throw new WorkbenchError('bad-request', `--weights must be mapped or prepacked, got ${JSON.stringify(weights)}`)
    if (!values.out)
      throw new WorkbenchError(
        'bad-request',
        '--out OUTDIR is required (logits.npy, senses.npy and contextualization.npy are written there)',
      )
    const prompt = promptRequest(values)
    const dir = resolve(values.out)
    outputFolder(dir) // before the model runs: an unusable --out fails at once
    const t0 = performance.now()
    // one forward pass: memory-mapped weights open several times faster than pre-packed ones and
    // cost the pass only a little (docs/engine.md, "Weights: mapped or pre-packed")
    return withWorkbench(
      values,
      async (wb) => {
        const tOpen = performance.now()
        const { engine } = wb.session!
        const edits = await editsRequest(wb, values.edits, io)
        const out = await wb.call('predict.forward', { ...prompt, ...(edits ? { edits } : {}), truncate: values.truncate ?? false })
        const tForward = performance.now()
        for (const name of ['logits', 'senses', 'contextualization'] as const) {
          try {
            writeNpy(join(dir, `${name}.npy`), out.shapes[name], out[name])
          } catch (e) {
            throw new WorkbenchError('store-io', `--out ${dir}: cannot write ${name}.npy: ${(e as Error).message}`, { cause: e })
          }
        }
        const ms = (a: number, b: number) => Math.round((b - a) * 10) / 10
        return {
          out: dir,
          files: ['logits.npy', 'senses.npy', 'contextualization.npy'],
          tokens: out.ids.length,
          ...(out.truncatedFrom !== undefined ? { truncatedFrom: out.truncatedFrom } : {}),
          shapes: out.shapes,
          provider: out.provider,
          contentHash: out.contentHash,
          conversion: engine.opened.work,
          ...(out.edits ? { edits: out.edits.edits.length } : {}),
          timingsMs: {
            open: ms(t0, tOpen),
            forward: ms(tOpen, tForward),
            write: ms(tForward, performance.now()),
            openDetail: engine.opened.timingsMs,
            forwardDetail: out.timingsMs,
          },
        }
      },
      { weights },
    )
  },
}

/** Creates --out (and its parents), as a typed error naming the folder when that is impossible. */
function outputFolder(dir: string): void {
  try {
    createFolder(dir)
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    const why = code === 'ENOTDIR' ? 'it (or a parent) exists and is not a folder' : (e as Error).message
    throw new WorkbenchError(code === 'ENOTDIR' ? 'bad-request' : 'store-io', `--out ${dir} cannot be used as the output folder: ${why}`, {
      cause: e,
    })
  }
}
