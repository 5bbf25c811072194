import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { WorkbenchError } from '../../shared/errors'
import { appVersion } from '../../main/paths/app-version'
import type { InterventionRunner } from '../../main/interventions/intervention-runner'
import { handlerRunner } from '../../main/runs/handler-runner'
import { compareExperiments, type CompareOptions } from '../../main/store/compare-experiments'
import { exportBundle, importBundle } from '../../main/store/experiment-bundle'
import { exportRunArrays } from '../../main/store/export-run-arrays'
import { checkId } from '../../main/store/experiment-fields'
import type { ExperimentRunner } from '../../main/store/experiment-runner'
import { ExperimentStore } from '../../main/store/experiment-store'
import { COMPARISON_FORMATS, renderComparison, type ComparisonFormat } from '../../main/store/render-comparison'
import { reopenRun } from '../../main/store/reopen-run'
import { senseEditEffects } from '../../main/store/sense-edit-effects'
import { HelpRequested, parseFlags, type CliCommand, type CliIo, type Flag } from '../cli-command'
import { ENGINE_FLAGS } from './engine-flags'
import { dbPathFlag, withWorkbench } from './cli-workbench'

export { dbPathFlag }

/**
 * `experiment <sub> [--db PATH] …`: the experiment log from the command line. Every subcommand
 * prints JSON (compare prints the chosen table format); writes print only after their commit.
 */
const SUBCOMMANDS = [
  'save',
  'list',
  'show',
  'fork',
  'run',
  'reopen',
  'compare',
  'export',
  'export-arrays',
  'import',
  'delete',
  'restore',
] as const
type Sub = (typeof SUBCOMMANDS)[number]
type Flags = Record<string, string | boolean | string[] | boolean[] | undefined>

const DB = {
  db: { type: 'string', description: 'the experiment log (SQLite file)', defaultText: 'experiments.sqlite in the user data folder' },
} as const satisfies Record<string, Flag>
const TOP = {
  top: { type: 'string', description: 'how many next tokens each prediction keeps', defaultText: '10' },
} as const satisfies Record<string, Flag>

export const experiment: CliCommand = {
  async run(args, io) {
    const [sub, ...rest] = args
    if (sub === '--help' || sub === '-h' || sub === 'help') {
      io.stdout.write(experimentHelp())
      return undefined
    }
    if (!sub || !(SUBCOMMANDS as readonly string[]).includes(sub)) {
      throw new WorkbenchError(
        'bad-request',
        `experiment needs a subcommand: ${SUBCOMMANDS.join(', ')}${sub ? ` (got ${JSON.stringify(sub)})` : ''}`,
      )
    }
    try {
      return await HANDLERS[sub as Sub](rest, io)
    } catch (e) {
      // `experiment list --help`: the usage line names the subcommand whose flags follow
      if (e instanceof HelpRequested) e.command = `experiment ${sub}`
      throw e
    }
  },
}

/** One line per subcommand, printed by `experiment --help` (a `Record<Sub, …>` so a new subcommand cannot go unlisted). */
const SUB_SUMMARIES: Record<Sub, string> = {
  save: 'save a sense-edit document as an experiment (--name, --edits FILE (none: a baseline), --tag, --notes, --folder)',
  list: 'list experiments, filtered and sorted (--tag, --search, --from/--to, --sort, --limit, --deleted, …)',
  show: 'show one experiment and its runs: experiment show ID',
  fork: 'copy an experiment as a new one that names it as parent: experiment fork ID [--name]',
  run: 'run a prediction with the experiment\'s edits and record it: experiment run ID --text "…" [--top]',
  reopen: 'rerun a recorded run of any kind and check it reproduces: experiment reopen RUN_ID [--atol, --rtol]',
  compare:
    "compare experiments' edits and runs (differences only unless --all): experiment compare ID ID… [--format, --all, --effects, --rerun, --prompt]",
  export: 'write experiments and their runs to a bundle file: experiment export ID… --out FILE',
  'export-arrays': "write a run's arrays for numpy: experiment export-arrays RUN_ID --out DIR (DIR/run-ID.npz and DIR/run-ID.index.json)",
  import: 'read a bundle file into the log: experiment import FILE',
  delete: 'delete an experiment (restorable for a while; --purge removes it now): experiment delete ID',
  restore: 'bring back a deleted experiment: experiment restore ID',
}

/** `experiment --help`: the subcommands, a line each (each subcommand's own `--help` lists its flags). */
function experimentHelp(): string {
  const lines = SUBCOMMANDS.map((s) => `  ${s.padEnd(8)} ${SUB_SUMMARIES[s]}`)
  return (
    `usage: npm run -s cli -- experiment <subcommand> [options]\nThe experiment log (--db PATH, default in the user data folder)\n\nsubcommands:\n${lines.join('\n')}\n\n` +
    `every subcommand takes --db PATH (default: experiments.sqlite in the user data folder); experiment <subcommand> --help lists its flags\n`
  )
}

const BASELINE_EDITS = { format: 'backpack-sense-edits', version: 1, edits: [] }

const HANDLERS: Record<Sub, (args: string[], io: CliIo) => Promise<unknown>> = {
  async save(args) {
    const { values } = parseFlags(args, {
      ...DB,
      name: { type: 'string', description: "the experiment's name" },
      edits: { type: 'string', description: 'the sense-edit document (JSON) to save; without it, a baseline (no edits)' },
      tag: { type: 'string', multiple: true, description: 'a tag' },
      notes: { type: 'string', description: 'free-text notes' },
      folder: { type: 'string', description: 'a folder to file it under' },
    })
    if (!values.name) throw new WorkbenchError('bad-request', '--name is required')
    // without --edits: a baseline experiment (no edits), to compare edited ones against
    const edits = values.edits ? await readJson(values.edits, 'sense-edit file') : BASELINE_EDITS
    return withStore(values, async (s) => ({
      id: (await s.save({ name: values.name!, edits: edits as never, tags: values.tag, notes: values.notes, folder: values.folder })).id,
    }))
  },

  async list(args) {
    const { values } = parseFlags(args, {
      ...DB,
      tag: { type: 'string', multiple: true, description: 'only experiments with this tag (all given tags)' },
      search: { type: 'string', description: 'full-text search in names and notes' },
      name: { type: 'string', description: 'only experiments with this name' },
      token: { type: 'string', description: 'only experiments whose edits touch this token' },
      checkpoint: { type: 'string', description: 'only experiments on a checkpoint whose content hash starts with this' },
      folder: { type: 'string', description: 'only experiments in this folder' },
      from: { type: 'string', description: 'created at or after this date or ISO time (2026-01-31)' },
      to: { type: 'string', description: 'created at or before this date (the whole day) or ISO time' },
      sort: { type: 'string', description: 'created, updated or name', defaultText: 'created' },
      order: { type: 'string', description: 'asc or desc', defaultText: 'asc for name, else desc' },
      limit: { type: 'string', description: 'at most this many, 1..1000', defaultText: '50' },
      offset: { type: 'string', description: 'skip this many first', defaultText: '0' },
      deleted: { type: 'boolean', description: 'list the deleted (restorable) experiments instead' },
    })
    return withStore(values, (s) =>
      s.list({
        tags: values.tag,
        search: values.search,
        name: values.name,
        token: values.token,
        checkpoint: values.checkpoint,
        folder: values.folder,
        createdFrom: date(values.from, 'from'),
        createdTo: date(values.to, 'to'),
        sort: values.sort as never,
        order: values.order as never,
        limit: intFlag(values.limit, 'limit', 50, 1, 1000),
        offset: intFlag(values.offset, 'offset', 0, 0, Number.MAX_SAFE_INTEGER),
        onlyDeleted: values.deleted,
      }),
    )
  },

  async show(args) {
    const { values, positionals } = parseFlags(args, DB, true)
    const id = oneId(positionals)
    return withStore(values, async (s) => ({ ...(await s.get(id)), runs: await s.runs(id) }))
  },

  async fork(args) {
    const { values, positionals } = parseFlags(
      args,
      { ...DB, name: { type: 'string', description: "the copy's name", defaultText: "the original's name" } },
      true,
    )
    const id = oneId(positionals)
    return withStore(values, async (s) => {
      const f = await s.fork(id, values.name ? { name: values.name } : {})
      return { id: f.id, parentId: f.parentId, name: f.name }
    })
  },

  async run(args) {
    const { values, positionals } = parseFlags(
      args,
      { ...DB, ...ENGINE_FLAGS, text: { type: 'string', description: 'the prompt to predict from' }, ...TOP },
      true,
    )
    const id = oneId(positionals)
    if (!values.text) throw new WorkbenchError('bad-request', '--text "…" is required')
    const topK = intFlag(values.top, 'top', 10, 1, 1000)
    return withStore(values, (s) =>
      withRunner(values, s, async (runner) => {
        const exp = await s.get(id)
        const run = await s.addRun(id, await runner.run({ kind: 'predict', inputs: { text: values.text! }, settings: { topK } }, exp.edits))
        const { blobs, ...rest } = run
        return { ...rest, blobs: Object.fromEntries(Object.entries(blobs).map(([k, b]) => [k, { dtype: b.dtype, shape: b.shape }])) }
      }),
    )
  },

  async reopen(args) {
    const { values, positionals } = parseFlags(
      args,
      {
        ...DB,
        ...ENGINE_FLAGS,
        atol: { type: 'string', description: 'absolute tolerance: |stored − fresh| ≤ atol + rtol·|stored|', defaultText: '1e-5' },
        rtol: { type: 'string', description: 'relative tolerance', defaultText: '1e-5' },
      },
      true,
    )
    const runId = checkId(positionals[0], 'run')
    const atol = toleranceFlag(values.atol, 'atol')
    const rtol = toleranceFlag(values.rtol, 'rtol')
    return withStore(values, (s) =>
      withRunner(values, s, async (runner) => {
        const r = await reopenRun(s, runId, runner, { atol, rtol })
        return {
          runId,
          experimentId: r.run.experimentId,
          kind: r.run.kind,
          reproduced: r.reproduced,
          differences: r.differences,
          atol: r.atol,
          rtol: r.rtol,
          outputs: r.outputs,
          metrics: r.metrics,
          blobs: r.blobs,
        }
      }),
    )
  },

  async compare(args, io) {
    const { values, positionals } = parseFlags(
      args,
      {
        ...DB,
        ...ENGINE_FLAGS,
        'diff-only': { type: 'boolean', description: 'show only what differs between the experiments (the default; see --all)' },
        all: { type: 'boolean', description: 'show every row, also those equal in every experiment' },
        format: { type: 'string', description: COMPARISON_FORMATS.join(', '), defaultText: 'json' },
        rerun: {
          type: 'boolean',
          description: "run each experiment's edits again on the model (with --prompt) instead of only its recorded runs",
        },
        effects: {
          type: 'boolean',
          description:
            "load the model (--checkpoint, --onnx, default the demo) to show what each edit does to its senses' projections (also with --rerun)",
        },
        prompt: { type: 'string', multiple: true, description: "a prompt to run under every experiment's edits" },
        ...TOP,
      },
      true,
    )
    const ids = positionals.map((p) => checkId(p))
    if (ids.length === 0) throw new WorkbenchError('bad-request', 'compare needs experiment ids: experiment compare ID ID…')
    if (values.all && values['diff-only']) throw new WorkbenchError('bad-request', '--all and --diff-only contradict each other; give one')
    const format = (values.format ?? 'json') as ComparisonFormat
    if (!COMPARISON_FORMATS.includes(format))
      throw new WorkbenchError(
        'bad-request',
        `--format must be one of ${COMPARISON_FORMATS.join(', ')}, got ${JSON.stringify(values.format)}`,
      )
    const topK = intFlag(values.top, 'top', 10, 1, 1000)
    const prompts = (values.prompt ?? []).map((text) => ({ kind: 'predict', inputs: { text }, settings: { topK } }))
    const diffOnly = !values.all
    const doCompare = (s: ExperimentStore, extra: Pick<CompareOptions, 'runner' | 'editEffects'> = {}) =>
      compareExperiments(s, ids, { diffOnly, prompts, ...extra })
    const comparison = await withStore(values, (s) => {
      if (values.rerun)
        return withRunner(values, s, (runner, analysis) => doCompare(s, { runner, editEffects: senseEditEffects(analysis) }))
      if (values.effects) return withWorkbench(values, (wb) => doCompare(s, { editEffects: senseEditEffects(wb.session!.runner) }))
      return doCompare(s)
    })
    if (format === 'json') return comparison
    io.stdout.write(renderComparison(comparison, format))
    return undefined
  },

  async export(args) {
    const { values, positionals } = parseFlags(args, { ...DB, out: { type: 'string', description: 'the bundle file to write' } }, true)
    const ids = positionals.map((p) => checkId(p))
    if (ids.length === 0) throw new WorkbenchError('bad-request', 'export needs experiment ids: experiment export ID… --out FILE')
    if (!values.out) throw new WorkbenchError('bad-request', '--out FILE is required')
    const out = resolve(values.out)
    return withStore(values, async (s) => {
      const bundle = await exportBundle(s, ids, appVersion())
      const text = JSON.stringify(bundle)
      const tmp = `${out}.tmp-${process.pid}`
      try {
        await writeFile(tmp, text)
        await rename(tmp, out) // never a half-written bundle at --out
      } catch (e) {
        await rm(tmp, { force: true }).catch(() => undefined) // no stray partial file next to --out
        throw new WorkbenchError('store-io', `cannot write the bundle to ${out}: ${(e as Error).message}`, { cause: e })
      }
      return {
        out,
        experiments: bundle.experiments.length,
        runs: bundle.experiments.reduce((n, e) => n + e.runs.length, 0),
        bytes: Buffer.byteLength(text),
      }
    })
  },

  async 'export-arrays'(args) {
    const { values, positionals } = parseFlags(
      args,
      { ...DB, out: { type: 'string', description: 'the folder to write run-ID.npz and run-ID.index.json into (made if missing)' } },
      true,
    )
    const runId = oneId(positionals)
    if (!values.out) throw new WorkbenchError('bad-request', '--out DIR is required')
    const dir = resolve(values.out)
    const file = await withStore(values, (s) => exportRunArrays(s, runId))
    const npz = join(dir, file.fileName)
    const index = join(dir, file.fileName.replace(/\.npz$/, '.index.json'))
    try {
      await mkdir(dir, { recursive: true })
      await writeAtomically(npz, file.bytes)
      await writeAtomically(index, JSON.stringify(file.index, null, 2) + '\n')
    } catch (e) {
      throw new WorkbenchError('store-io', `cannot write the arrays of run ${runId} to ${dir}: ${(e as Error).message}`, { cause: e })
    }
    return { runId, npz, index, arrays: Object.keys(file.index.arrays) }
  },

  async import(args, io) {
    const { values, positionals } = parseFlags(args, DB, true)
    if (positionals.length !== 1) throw new WorkbenchError('bad-request', 'import needs one bundle file: experiment import FILE')
    let text: string
    try {
      text = await readFile(positionals[0], 'utf8')
    } catch (e) {
      throw new WorkbenchError('not-found', `cannot read the bundle ${positionals[0]}: ${(e as Error).message}`, { cause: e })
    }
    const result = await withStore(values, (s) => importBundle(s, text))
    for (const w of result.warnings) io.stderr.write(`warning: ${w}\n`)
    return result
  },

  async delete(args) {
    const { values, positionals } = parseFlags(
      args,
      { ...DB, purge: { type: 'boolean', description: 'remove it now, with its runs (not restorable)' } },
      true,
    )
    const id = oneId(positionals)
    return withStore(values, async (s) => {
      const d = await s.delete(id)
      if (values.purge) {
        await s.purge(id)
        return { id, purged: true }
      }
      return {
        ...d,
        restorableUntil: new Date(d.restorableUntil).toISOString(),
        hint: `experiment restore ${id} brings it back until then`,
      }
    })
  },

  async restore(args) {
    const { values, positionals } = parseFlags(args, DB, true)
    const id = oneId(positionals)
    return withStore(values, async (s) => ({ id: (await s.restore(id)).id, restored: true }))
  },
}

/** Writes a file through a temporary name beside it, so `path` never holds a half-written file. */
async function writeAtomically(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`
  try {
    await writeFile(tmp, data)
    await rename(tmp, path)
  } catch (e) {
    await rm(tmp, { force: true }).catch(() => undefined)
    throw e
  }
}

async function withStore<T>(flags: Flags, fn: (s: ExperimentStore) => Promise<T>): Promise<T> {
  const store = await ExperimentStore.open(dbPathFlag(flags))
  try {
    return await fn(store)
  } finally {
    await store.close()
  }
}

/**
 * Opens the model from --checkpoint/--onnx (default: the bundled demo) behind the handler table,
 * records its checkpoint, and hands over the one runner over that table (every run kind).
 */
async function withRunner<T>(
  flags: Flags,
  store: ExperimentStore,
  fn: (r: ExperimentRunner, analysis: InterventionRunner) => Promise<T>,
): Promise<T> {
  const f = flags as { checkpoint?: string; onnx?: string }
  return withWorkbench(flags, async (wb) => {
    const model = wb.model!
    const source = f.checkpoint ? resolve(f.checkpoint) : f.onnx ? resolve(f.onnx) : 'bundled demo checkpoint'
    await store.recordCheckpoint(model.contentHash, source, { ...model.config })
    return await fn(handlerRunner(wb.handlers(), await wb.origin()), wb.session!.runner)
  })
}

/** A non-negative integer flag with a default and limits. */
function intFlag(value: string | undefined, flag: string, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback
  const n = Number(value)
  if (!/^\d+$/.test(value) || n < min || n > max)
    throw new WorkbenchError('bad-request', `--${flag} must be an integer in [${min}, ${max}], got ${JSON.stringify(value)}`)
  return n
}

function toleranceFlag(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined
  const n = Number(value)
  if (value.trim() === '' || !(n >= 0) || !Number.isFinite(n))
    throw new WorkbenchError('bad-request', `--${flag} must be a non-negative number such as 1e-5, got ${JSON.stringify(value)}`)
  return n
}

function oneId(positionals: string[]): number {
  if (positionals.length !== 1) throw new WorkbenchError('bad-request', `give exactly one experiment id, got ${positionals.length}`)
  return checkId(positionals[0])
}

const DAY_MS = 24 * 3600 * 1000

/** A --from/--to time in ms; a bare `--to YYYY-MM-DD` includes that whole day (UTC), as people mean it. */
function date(value: string | undefined, flag: 'from' | 'to'): number | undefined {
  if (value === undefined) return undefined
  const t = Date.parse(value)
  if (Number.isNaN(t))
    throw new WorkbenchError('bad-request', `--${flag} must be a date such as 2026-01-31 or an ISO time, got ${JSON.stringify(value)}`)
  return flag === 'to' && /^\d{4}-\d{2}-\d{2}$/.test(value.trim()) ? t + DAY_MS : t
}

async function readJson(path: string, what: string): Promise<unknown> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (e) {
    throw new WorkbenchError('not-found', `cannot read the ${what} ${path}: ${(e as Error).message}`, { cause: e })
  }
  try {
    return JSON.parse(text)
  } catch (e) {
    throw new WorkbenchError('edit-invalid', `the ${what} ${path} is not valid JSON: ${(e as Error).message}`, { cause: e })
  }
}
