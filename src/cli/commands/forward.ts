import { join, resolve } from 'node:path'
import { WorkbenchError } from '../../shared/errors'
import { writeNpy } from '../../main/npy/npy'
import { createFolder } from '../../main/paths/create-folder'
import { forwardWithEditsFile } from '../../main/interventions/apply-sense-edits'
import { resolveModelSource } from '../../main/runtime/model-source'
import { ModelSession } from '../../main/session/model-session'
import { promptIds } from '../../main/tokenizer/prompt-ids'
import { parseFlags, parseIntList, type CliCommand } from '../cli-command'
import { EDITS_FLAG, ENGINE_FLAGS, PROMPT_FLAGS } from './analysis-engine'

/**
 * `forward [--checkpoint DIR | --onnx DIR] (--ids 1,2,3 | --text "…") --out OUTDIR [--provider P]
 * [--truncate] [--edits FILE] [--weights mapped|prepacked]`: runs the full pass (under a sense-edit document with --edits) and
 * writes logits.npy (pos, vocab), senses.npy (sense, pos, d_model) and contextualization.npy
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
    if ((values.ids === undefined) === (values.text === undefined))
      throw new WorkbenchError('bad-request', 'give exactly one of --ids 1,2,3 and --text "…"')
    const weights = values.weights ?? 'mapped'
    if (weights !== 'mapped' && weights !== 'prepacked')
      throw new WorkbenchError('bad-request', `--weights must be mapped or prepacked, got ${JSON.stringify(weights)}`)
    if (!values.out)
      throw new WorkbenchError(
        'bad-request',
        '--out OUTDIR is required (logits.npy, senses.npy and contextualization.npy are written there)',
      )
    let ids = values.ids !== undefined ? parseIntList(values.ids, 'ids') : promptIds(values.text, Infinity, '--text')
    if (ids.length === 0) throw new WorkbenchError('bad-request', '--text tokenizes to no tokens')
    const dir = resolve(values.out)
    outputFolder(dir) // before the model runs: an unusable --out fails at once
    const source = resolveModelSource(values)
    const t0 = performance.now()
    // one forward pass: memory-mapped weights open several times faster than pre-packed ones and
    // cost the pass only a little (docs/engine.md, "Weights: mapped or pre-packed")
    const session = await ModelSession.open(source, { provider: values.provider, weights })
    const { engine } = session
    try {
      const tOpen = performance.now()
      const limit = engine.config.nPositions
      const inputLength = ids.length
      if (ids.length > limit && values.truncate) ids = ids.slice(0, limit)
      // --edits: the analysis core applies the sense-edit document (src/main/interventions)
      const edited = values.edits !== undefined ? await forwardWithEditsFile(session.runner, ids, resolve(values.edits)) : null
      for (const w of edited?.warnings ?? []) io.stderr.write(`warning: ${w}\n`)
      const out = edited ?? (await engine.forward(ids))
      const tForward = performance.now()
      const { numSenses: k, nEmbd: d, vocabSize: V } = engine.config
      const T = ids.length
      const shapes = { logits: [T, V], senses: [k, T, d], contextualization: [k, T, T] }
      for (const [name, data] of [
        ['logits', out.logits],
        ['senses', out.senses],
        ['contextualization', out.contextualization],
      ] as const) {
        try {
          writeNpy(join(dir, `${name}.npy`), shapes[name], data)
        } catch (e) {
          throw new WorkbenchError('store-io', `--out ${dir}: cannot write ${name}.npy: ${(e as Error).message}`, { cause: e })
        }
      }
      const ms = (a: number, b: number) => Math.round((b - a) * 10) / 10
      return {
        out: dir,
        files: ['logits.npy', 'senses.npy', 'contextualization.npy'],
        tokens: T,
        ...(T < inputLength ? { truncatedFrom: inputLength } : {}),
        shapes,
        provider: engine.provider,
        contentHash: engine.contentHash,
        conversion: engine.opened.work,
        ...(edited ? { edits: edited.edits } : {}),
        timingsMs: {
          open: ms(t0, tOpen),
          forward: ms(tOpen, tForward),
          write: ms(tForward, performance.now()),
          openDetail: engine.opened.timingsMs,
          forwardDetail: out.timingsMs,
        },
      }
    } finally {
      await session.dispose()
    }
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
