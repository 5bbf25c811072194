import { readFileSync } from 'node:fs'
import { WorkbenchError } from '../../shared/errors'
import { DEFAULT_QUEUE } from '../../main/sweep/redis-connection'
import { startSweepWorker } from '../../main/queue-worker/sweep-worker'
import { parseFlags, type CliCommand } from '../cli-command'
import { untilStopSignal } from '../stop-signal'

/**
 * `worker --redis URL [--queue NAME] [--concurrency N] [--provider P] [--checkpoint DIR]
 * [--lock-ms MS]`: a sweep worker. Prints one JSON line per event on stderr (ready, each job
 * finished or failed, Redis trouble) and runs until SIGTERM/SIGINT, which finishes the running
 * jobs and exits.
 */
export const worker: CliCommand = {
  details:
    '--queue defaults to backpack-sweeps; --concurrency 1..64 (default 1); --provider auto|cpu|cuda|… must be the one the model runs on;\n' +
    "--checkpoint DIR (default: the bundled demo); --lock-ms 1000..600000 (default 30000): a killed worker's job is handed to another after about this long.",
  async run(args, io) {
    const { values } = parseFlags(args, {
      redis: { type: 'string', description: 'the Redis URL (redis://host:port)' },
      queue: { type: 'string', description: 'the queue to take jobs from', defaultText: 'backpack-sweeps' },
      concurrency: { type: 'string', description: 'jobs run at once, 1..64', defaultText: '1' },
      provider: {
        type: 'string',
        description: 'onnxruntime execution provider the model runs on: auto, cpu, cuda, …',
        defaultText: 'auto',
      },
      checkpoint: { type: 'string', description: 'checkpoint directory', defaultText: 'the bundled demo model' },
      'lock-ms': {
        type: 'string',
        description: "a killed worker's job goes to another after about this long, 1000..600000",
        defaultText: '30000',
      },
    })
    if (!values.redis) throw new WorkbenchError('bad-request', '--redis URL is required (e.g. redis://127.0.0.1:6379)')
    const queue = queueFlag(values.queue)
    const running = await startSweepWorker({
      redis: values.redis,
      queue,
      concurrency: intFlag(values.concurrency, 'concurrency', 1, 1, 64),
      provider: values.provider,
      checkpoint: values.checkpoint,
      lockMs: intFlag(values['lock-ms'], 'lock-ms', 30_000, 1000, 600_000),
      appVersion: appVersion(),
      log: (e) => io.stderr.write(JSON.stringify(e) + '\n'),
    })
    await untilStopSignal()
    io.stderr.write(JSON.stringify({ event: 'stopping' }) + '\n')
    await running.close()
    io.stderr.write(JSON.stringify({ event: 'stopped' }) + '\n')
    return undefined
  },
}

/** A queue name BullMQ accepts (no ':'), default backpack-sweeps. */
export function queueFlag(value: string | undefined): string {
  const q = value ?? DEFAULT_QUEUE
  if (!/^[A-Za-z0-9_.-]{1,100}$/.test(q))
    throw new WorkbenchError('bad-request', `--queue must be 1–100 letters, digits, '_', '.' or '-', got ${JSON.stringify(q)}`)
  return q
}

export function intFlag(value: string | undefined, flag: string, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback
  const n = Number(value)
  if (!Number.isInteger(n) || n < min || n > max)
    throw new WorkbenchError('bad-request', `--${flag} must be an integer in [${min}, ${max}], got ${JSON.stringify(value)}`)
  return n
}

export function appVersion(): string {
  try {
    return (
      (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: string }).version ?? 'unknown'
    )
  } catch {
    return 'unknown'
  }
}
