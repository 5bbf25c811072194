import { spawn, type ChildProcess } from 'node:child_process'
import { resolve } from 'node:path'

/**
 * A real sweep worker process, as `tsx src/cli/index.ts worker …` starts it but without tsx's
 * wrapper process (`node --import tsx`), so signals (SIGKILL, SIGSTOP) reach the worker itself.
 */
const ROOT = resolve(import.meta.dirname, '../../../..')
export const TINY = resolve(ROOT, 'test/fixtures/checkpoints/tiny-fullvocab')

export interface WorkerProcess {
  proc: ChildProcess
  /** the JSON events it printed on stderr so far */
  events: Record<string, unknown>[]
  /** waits (bounded) until an event matching `pred` has been printed */
  waitFor(pred: (e: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  stderr(): string
}

export function startWorker(redisUrl: string, extra: string[] = [], env: Record<string, string> = {}): WorkerProcess {
  const proc = spawn(
    process.execPath,
    ['--import', 'tsx', 'src/cli/index.ts', 'worker', '--redis', redisUrl, '--checkpoint', TINY, '--lock-ms', '4000', ...extra],
    {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  )
  const events: Record<string, unknown>[] = []
  let text = ''
  let buf = ''
  const waiters: (() => void)[] = []
  proc.stderr!.on('data', (d: Buffer) => {
    text += d.toString()
    buf += d.toString()
    const lines = buf.split('\n')
    buf = lines.pop()!
    for (const l of lines) {
      try {
        events.push(JSON.parse(l) as Record<string, unknown>)
      } catch {
        // not an event line (a warning): kept in stderr() only
      }
    }
    waiters.splice(0).forEach((w) => w())
  })
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    proc.once('exit', (code, signal) => r({ code, signal })),
  )
  exited.then(() => waiters.splice(0).forEach((w) => w()))
  let done = false
  exited.then(() => (done = true))
  return {
    proc,
    events,
    exited,
    stderr: () => text,
    async waitFor(pred, timeoutMs = 90_000) {
      const deadline = Date.now() + timeoutMs
      for (;;) {
        const hit = events.find(pred)
        if (hit) return hit
        if (done) throw new Error(`worker exited before the expected event; stderr:\n${text}`)
        if (Date.now() > deadline) throw new Error(`no expected event from the worker within ${timeoutMs} ms; stderr:\n${text}`)
        await new Promise<void>((r) => {
          waiters.push(r)
          setTimeout(r, 500)
        })
      }
    },
  }
}

/** Stops a worker if still running (SIGKILL after a bounded SIGTERM). */
export async function stopWorker(w: WorkerProcess | undefined): Promise<void> {
  if (!w || w.proc.exitCode !== null || w.proc.signalCode !== null) return
  w.proc.kill('SIGTERM')
  const t = setTimeout(() => w.proc.kill('SIGKILL'), 20_000)
  await w.exited
  clearTimeout(t)
}

/** Runs one CLI command in its own process (bounded); its exit code and output. */
export function cliProcess(
  args: string[],
  timeoutMs = 240_000,
): Promise<{ code: number | null; stdout: string; stderr: string; json: () => Record<string, unknown> }> {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'src/cli/index.ts', ...args], {
    cwd: ROOT,
    env: process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  proc.stdout!.on('data', (d: Buffer) => (stdout += d.toString()))
  proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()))
  const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs)
  return new Promise((r) =>
    proc.once('exit', (code) => {
      clearTimeout(timer)
      r({ code, stdout, stderr, json: () => JSON.parse(stdout) as Record<string, unknown> })
    }),
  )
}

/** The worker's name as BullMQ records it in a job's processedBy (from its ready event). */
export function workerName(w: WorkerProcess): string {
  return (w.events.find((e) => e.event === 'ready') as { worker: string }).worker
}
