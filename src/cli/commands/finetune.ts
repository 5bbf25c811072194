import { randomBytes } from 'node:crypto'
import { readFile, rename, rm, stat, writeFile } from 'node:fs/promises'
import { basename, resolve } from 'node:path'
import { WorkbenchError } from '../../shared/errors'
import { FINETUNE_LOSSES, MAX_EXAMPLES_BYTES, type FinetuneLoss } from '../../main/finetune/canonical-examples'
import { FINETUNE_DEFAULTS, validateFinetuneOptions, type FinetuneOptions } from '../../main/finetune/finetune-options'
import { parseFlags, type CliCommand } from '../cli-command'
import { ENGINE_FLAGS, intFlag, withSession } from './analysis-engine'

/**
 * `finetune --examples FILE.jsonl --out EDITS.json [--loss nll|unlikely|balance|good-v-bad]
 * [--senses-per-example K] [--lambda L] [--lr LR] [--kl-weight W] [--epochs N] [--batch-size B]
 * [--background FILE] [--max-degradation EPS] [--seed S] [--checkpoint DIR]`: sense fine-tuning
 * on canonical examples (docs/finetune.md). Prints the selected senses with their scores, the
 * losses before and after, the epoch kept; writes the learned changes as a sense-edit document
 * (atomically: never a partial file; not at all when no epoch stays inside the ball).
 * Training runs in the engine worker; progress goes to stderr, one line per epoch; Ctrl-C stops
 * cleanly (a `cancelled` error, nothing written).
 */
export const finetune: CliCommand = {
  details:
    'balance and good-v-bad examples are {"prefix","suffix1","suffix2"} lines, the other losses\' {"prefix","suffix"}. See docs/finetune.md.',
  async run(args, io) {
    const { values } = parseFlags(args, {
      ...ENGINE_FLAGS,
      examples: { type: 'string', description: 'canonical examples, one JSON object a line' },
      out: { type: 'string', description: 'where to write the learned sense-edit document (JSON)' },
      loss: { type: 'string', description: FINETUNE_LOSSES.join(' | '), defaultText: 'nll' },
      'senses-per-example': {
        type: 'string',
        description: 'senses selected per example, integer ≥ 1',
        defaultText: String(FINETUNE_DEFAULTS.sensesPerExample),
      },
      lambda: { type: 'string', description: 'selection penalty on background α mass, ≥ 0', defaultText: String(FINETUNE_DEFAULTS.lambda) },
      lr: { type: 'string', description: 'Adam peak learning rate, cosine-decayed', defaultText: String(FINETUNE_DEFAULTS.lr) },
      'kl-weight': {
        type: 'string',
        description: 'weight of KL(p_orig ‖ p_edited) on the background, ≥ 0',
        defaultText: String(FINETUNE_DEFAULTS.klWeight),
      },
      epochs: { type: 'string', description: 'passes over the examples', defaultText: String(FINETUNE_DEFAULTS.epochs) },
      'batch-size': { type: 'string', description: 'examples per step', defaultText: 'all' },
      background: {
        type: 'string',
        description: 'general text for the KL term and the degradation ball',
        defaultText: 'the bundled demo held-out text',
      },
      'max-degradation': {
        type: 'string',
        description: '> 0: keep the last epoch with background NLL ≤ (1+EPS) × the original; none → no edit written',
        defaultText: 'no limit',
      },
      seed: { type: 'string', description: 'random seed, integer in [0, 2^32)', defaultText: String(FINETUNE_DEFAULTS.seed) },
    })
    if (!values.examples) throw new WorkbenchError('bad-request', '--examples FILE.jsonl is required')
    if (!values.out) throw new WorkbenchError('bad-request', '--out EDITS.json is required')
    const loss = (values.loss ?? 'nll') as FinetuneLoss
    const D = FINETUNE_DEFAULTS
    const options: FinetuneOptions = {
      loss,
      sensesPerExample: intFlag(values['senses-per-example'], 'senses-per-example', D.sensesPerExample, 1, 256),
      lambda: numberFlag(values.lambda, 'lambda', D.lambda),
      lr: numberFlag(values.lr, 'lr', D.lr),
      klWeight: numberFlag(values['kl-weight'], 'kl-weight', D.klWeight),
      epochs: intFlag(values.epochs, 'epochs', D.epochs, 1, 10_000),
      ...(values['batch-size'] !== undefined ? { batchSize: intFlag(values['batch-size'], 'batch-size', 1, 1, 100_000) } : {}),
      ...(values['max-degradation'] !== undefined ? { maxDegradation: numberFlag(values['max-degradation'], 'max-degradation', 0) } : {}),
      seed: intFlag(values.seed, 'seed', D.seed, 0, 2 ** 32 - 1),
    }
    validateFinetuneOptions(options, 1 << 16)
    const text = await readExamples(values.examples)
    if (values.background !== undefined) await readableBackground(values.background)
    const out = resolve(values.out)
    return withSession(values, async ({ engine }) => {
      const controller = new AbortController()
      const onSigint = () => controller.abort()
      process.once('SIGINT', onSigint)
      try {
        // the whole run happens in the engine worker (tokenizing included); this thread waits
        const r = await engine.finetune(
          {
            examples: text,
            options,
            ...(values.background !== undefined ? { background: { path: resolve(values.background) } } : {}),
            name: `fine-tuned on ${basename(values.examples as string)}`,
          },
          {
            signal: controller.signal,
            onProgress: (p) => {
              const f = p.figures
              if (f)
                io.stderr.write(
                  `epoch ${f.epoch}/${f.epochs}: canonical loss ${f.canonicalLoss.toFixed(4)}, KL ${f.kl.toExponential(3)}, background NLL ${f.backgroundNll.toFixed(5)}\n`,
                )
            },
          },
        )
        if (r.document) await writeAtomic(out, JSON.stringify(r.document) + '\n')
        return {
          contentHash: r.contentHash,
          examples: values.examples,
          loss,
          options,
          background: r.background,
          selected: r.selected,
          before: r.before,
          after: r.after,
          epochKept: r.epochKept,
          backgroundNllLimit: r.backgroundNllLimit,
          history: r.history,
          out: r.document ? out : null,
          ...(r.document
            ? {}
            : {
                noEdit: `no epoch kept the background NLL within (1 + ${options.maxDegradation}) × ${r.before.backgroundNll.toFixed(5)}: nothing written`,
              }),
          timingsMs: r.timingsMs,
        }
      } finally {
        process.removeListener('SIGINT', onSigint)
      }
    })
  },
}

/** A missing background file is `not-found` before the model opens (the worker reads it). */
async function readableBackground(path: string): Promise<void> {
  try {
    await stat(path)
  } catch (e) {
    throw new WorkbenchError('not-found', `cannot read the background text ${path}: ${(e as Error).message}`, { cause: e })
  }
}

async function readExamples(path: string): Promise<string> {
  try {
    const info = await stat(path)
    if (info.size > MAX_EXAMPLES_BYTES)
      throw new WorkbenchError('bad-request', `the examples file ${path} has ${info.size} bytes; at most ${MAX_EXAMPLES_BYTES} are read`)
    return await readFile(path, 'utf8')
  } catch (e) {
    if (e instanceof WorkbenchError) throw e
    throw new WorkbenchError('not-found', `cannot read the examples file ${path}: ${(e as Error).message}`, { cause: e })
  }
}

/** Temp file + rename: --out is either the whole document or untouched. */
async function writeAtomic(path: string, text: string): Promise<void> {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`
  try {
    await writeFile(tmp, text)
    await rename(tmp, path)
  } catch (e) {
    await rm(tmp, { force: true })
    throw new WorkbenchError('store-io', `cannot write ${path}: ${(e as Error).message}`, { cause: e })
  }
}

/** A finite number flag with a default. */
function numberFlag(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback
  const n = Number(value)
  if (value.trim() === '' || !Number.isFinite(n))
    throw new WorkbenchError('bad-request', `--${flag} must be a finite number, got ${JSON.stringify(value)}`)
  return n
}
