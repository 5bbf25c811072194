import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { WorkbenchError } from '../../shared/errors'
import { parseSweepDocument } from '../../shared/sweep/sweep-document'
import { ExperimentStore } from '../../main/store/experiment-store'
import { followSweep, type SweepSummary } from '../../main/sweep/follow-sweep'
import { cancelSweep, sweepStatus } from '../../main/sweep/sweep-control'
import { checkSweepId } from '../../main/sweep/sweep-jobs'
import { SweepQueue } from '../../main/sweep/sweep-queue'
import { submitSweep } from '../../main/sweep/submit-sweep'
import { buildSenseTableOnWorkers } from '../../main/sweep/sense-table-shards'
import { resolveCheckpointDir } from '../../main/paths/app-paths'
import { HelpRequested, parseFlags, type CliCommand, type CliIo, type Flag } from '../cli-command'
import { dbPathFlag } from './experiment'
import { intFlag, queueFlag } from './worker'

/**
 * `sweep run|follow|status|cancel|table`: sweeps over a Redis queue. `run` submits a sweep document
 * and waits, writing each finished job to the experiment database; `follow ID` waits for (and
 * writes) an existing sweep; `status ID` and `cancel ID` read and stop one; `table` builds the
 * checkpoint's whole-vocabulary sense table on the workers (into the same cache folder as a local
 * build). Progress on stderr.
 */
const SUBCOMMANDS = ['run', 'follow', 'status', 'cancel', 'table'] as const
type Sub = (typeof SUBCOMMANDS)[number]
const COMMON = {
  redis: { type: 'string', description: 'the Redis URL (redis://host:port)' },
  queue: { type: 'string', description: 'the queue the workers take jobs from', defaultText: 'backpack-sweeps' },
} as const satisfies Record<string, Flag>
const WAIT = {
  db: {
    type: 'string',
    description: 'the experiment log the finished jobs are written to',
    defaultText: 'experiments.sqlite in the user data folder',
  },
  'timeout-s': {
    type: 'string',
    description: 'stop waiting after this many seconds (the sweep goes on; sweep follow resumes)',
    defaultText: 'no limit',
  },
} as const satisfies Record<string, Flag>

export const sweep: CliCommand = {
  details:
    'sweep run --spec FILE [--db PATH] [--timeout-s S]; sweep follow ID [--db PATH]; sweep status ID; sweep cancel ID; sweep table [--checkpoint DIR] [--scores]',
  async run(args, io) {
    const [sub, ...rest] = args
    if (!sub || !(SUBCOMMANDS as readonly string[]).includes(sub)) {
      if (sub === '--help' || sub === '-h') throw new HelpRequested(COMMON)
      throw new WorkbenchError(
        'bad-request',
        `sweep needs a subcommand: ${SUBCOMMANDS.join(', ')}${sub ? ` (got ${JSON.stringify(sub)})` : ''}`,
      )
    }
    try {
      return await HANDLERS[sub as Sub](rest, io)
    } catch (e) {
      if (e instanceof HelpRequested) e.command = `sweep ${sub}`
      throw e
    }
  },
}

const HANDLERS: Record<Sub, (args: string[], io: CliIo) => Promise<unknown>> = {
  async run(args, io) {
    const { values } = parseFlags(args, {
      ...COMMON,
      ...WAIT,
      spec: { type: 'string', description: 'the sweep document (JSON, backpack-sweep)' },
    })
    if (!values.spec) throw new WorkbenchError('bad-request', '--spec FILE is required (a backpack-sweep document)')
    const doc = parseSweepDocument(await readJson(values.spec))
    const timeoutMs = timeoutFlag(values['timeout-s'])
    return withQueue(values, async (q) => {
      const store = await ExperimentStore.open(dbPathFlag(values))
      try {
        const submitted = await submitSweep(q, doc, resolve(values.spec!))
        io.stderr.write(JSON.stringify({ event: 'submitted', sweepId: submitted.meta.sweepId, jobs: submitted.meta.jobs }) + '\n')
        const summary = await followSweep(q, submitted.meta, {
          store,
          checkpoint: { dir: submitted.checkpointDir, config: submitted.config },
          onProgress: progress(io),
          timeoutMs,
        })
        return finish(summary, io)
      } finally {
        await store.close()
      }
    })
  },

  async follow(args, io) {
    const { values, positionals } = parseFlags(args, { ...COMMON, ...WAIT }, true)
    const id = sweepIdArg(positionals)
    const timeoutMs = timeoutFlag(values['timeout-s'])
    return withQueue(values, async (q) => {
      const meta = await q.meta(id)
      const store = await ExperimentStore.open(dbPathFlag(values))
      try {
        const known = await store.checkpoint(meta.checkpointHash)
        return finish(
          await followSweep(q, meta, {
            store,
            checkpoint: { dir: known?.source ?? null, config: known?.config ?? null },
            onProgress: progress(io),
            timeoutMs,
          }),
          io,
        )
      } finally {
        await store.close()
      }
    })
  },

  async status(args) {
    const { values, positionals } = parseFlags(args, COMMON, true)
    const id = sweepIdArg(positionals)
    return withQueue(values, (q) => sweepStatus(q, id))
  },

  async cancel(args) {
    const { values, positionals } = parseFlags(
      args,
      { ...COMMON, 'wait-s': { type: 'string', description: 'seconds to wait for running jobs to stop, 0..3600', defaultText: '15' } },
      true,
    )
    const id = sweepIdArg(positionals)
    const waitMs = intFlag(values['wait-s'], 'wait-s', 15, 0, 3600) * 1000
    return withQueue(values, (q) => cancelSweep(q, id, waitMs))
  },

  async table(args, io) {
    const { values } = parseFlags(args, {
      ...COMMON,
      checkpoint: {
        type: 'string',
        description: 'checkpoint directory (the workers must serve the same one)',
        defaultText: 'the bundled demo model',
      },
      scores: { type: 'boolean', description: "also each sense's max and min score over the vocabulary (topic edits need them)" },
      'timeout-s': WAIT['timeout-s'],
    })
    return withQueue(values, async (q) => {
      const { sweepId, jobs, table } = await buildSenseTableOnWorkers(q, {
        checkpointDir: resolveCheckpointDir(values.checkpoint),
        need: values.scores ? 'scores' : 'senses',
        onProgress: progress(io),
        timeoutMs: timeoutFlag(values['timeout-s']),
      })
      return { sweepId, jobs, dir: table.dir, vocabSize: table.vocabSize, numSenses: table.numSenses, precision: table.precision }
    })
  },
}

/** Prints the summary; a sweep with failed or cancelled jobs then exits 1 with the first error's code. */
function finish(summary: SweepSummary, io: CliIo): undefined {
  io.stdout.write(JSON.stringify(summary, null, 2) + '\n')
  const pending = summary.jobs - summary.completed - summary.failed
  if (summary.cancelled)
    throw new WorkbenchError('cancelled', `sweep ${summary.sweepId} was cancelled: ${summary.completed} of ${summary.jobs} jobs completed`)
  if (summary.failed > 0) {
    const first = summary.errors[0]
    throw new WorkbenchError(
      first.code as never,
      `sweep ${summary.sweepId}: ${summary.failed} of ${summary.jobs} jobs failed; job ${first.index}: ${first.reason}`,
    )
  }
  if (pending > 0)
    throw new WorkbenchError(
      'queue',
      `sweep ${summary.sweepId}: --timeout-s ran out with ${pending} jobs unfinished (sweep follow ${summary.sweepId} waits for the rest)`,
    )
  return undefined
}

function progress(io: CliIo) {
  let last = ''
  return (p: { done: number; failed: number; active?: number; waiting?: number; jobs: number }) => {
    const line = JSON.stringify({ event: 'progress', ...p })
    if (line !== last) io.stderr.write(line + '\n')
    last = line
  }
}

async function withQueue<T>(values: { redis?: string; queue?: string }, fn: (q: SweepQueue) => Promise<T>): Promise<T> {
  if (!values.redis) throw new WorkbenchError('bad-request', '--redis URL is required (e.g. redis://127.0.0.1:6379)')
  const q = await SweepQueue.open(values.redis, queueFlag(values.queue))
  try {
    return await fn(q)
  } finally {
    await q.close()
  }
}

function sweepIdArg(positionals: string[]): string {
  const id = positionals.length === 1 ? checkSweepId(positionals[0]) : ''
  if (!id)
    throw new WorkbenchError('bad-request', `give one sweep id (as \`sweep run\` printed it, e.g. sw…), got ${JSON.stringify(positionals)}`)
  return id
}

function timeoutFlag(value: string | undefined): number | undefined {
  return value === undefined ? undefined : intFlag(value, 'timeout-s', 0, 1, 7 * 24 * 3600) * 1000
}

async function readJson(path: string): Promise<unknown> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (e) {
    throw new WorkbenchError('not-found', `cannot read the sweep document ${path}: ${(e as Error).message}`, { cause: e })
  }
  try {
    return JSON.parse(text)
  } catch (e) {
    throw new WorkbenchError('bad-request', `sweep document ${path} is not JSON: ${(e as Error).message}`, { cause: e })
  }
}
