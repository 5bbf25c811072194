import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PHASE_RESULT_PREFIX, type PhaseResult } from './bench-common'
import { REPO_ROOT } from './full-size-checkpoint'

/**
 * Sweeps on Redis workers (issue 18): `tsx tools/bench/sweep-phase.ts [jobs]` starts its own
 * redis-server on a free loopback port and times a predict sweep of `jobs` (default 48) edit
 * documents on the tiny fixture checkpoint — with 1 and with 2 worker processes — from submitting
 * to the last result written in SQLite, against the same runs made in one local process (the
 * CLI's experiment runner). Jobs per second and the overhead per job (queue, transport, writing)
 * are what this measures; the tiny model keeps the model's own time small. Prints `BENCH_RESULT {json}`.
 */
const TINY = join(REPO_ROOT, 'test/fixtures/checkpoints/tiny-fullvocab')
const TEXT = 'The nurse said that the doctor was late again, and the teacher agreed. '.repeat(2)

async function main(): Promise<void> {
  const jobs = Number(process.argv[2] ?? 48)
  const { Workbench } = await import('../../src/main/workbench/workbench')
  const { handlerRunner } = await import('../../src/main/runs/handler-runner')
  const { ExperimentStore } = await import('../../src/main/store/experiment-store')
  const { parseSweepDocument } = await import('../../src/shared/sweep/sweep-document')
  const { SweepQueue } = await import('../../src/main/sweep/sweep-queue')
  const { submitSweep } = await import('../../src/main/sweep/submit-sweep')
  const { followSweep } = await import('../../src/main/sweep/follow-sweep')
  const { checkRedis } = await import('../../src/main/sweep/redis-connection')
  const dir = mkdtempSync(join(tmpdir(), 'backpack-sweep-bench-'))
  process.env.BACKPACK_CACHE_DIR = join(dir, 'cache')
  const figures: PhaseResult['figures'] = {}
  const notes: string[] = []
  const edits = Array.from({ length: jobs }, (_, i) => ({
    format: 'backpack-sense-edits' as const,
    version: 1 as const,
    edits: [{ kind: 'scale-sense' as const, token: ' nurse', sense: i % 4, factor: 1 + i / jobs }],
  }))
  const doc = parseSweepDocument({
    format: 'backpack-sweep',
    version: 1,
    name: 'bench',
    checkpoint: TINY,
    kind: 'predict',
    request: { text: TEXT, topK: 10 },
    edits,
  })

  // local: the same runs in one process, stored as `experiment run` stores them (through the handler table)
  const wb = new Workbench({ transport: 'cli', version: 'bench', databasePath: join(dir, 'unused.sqlite') })
  const local = await ExperimentStore.open(join(dir, 'local.sqlite'))
  try {
    await wb.open({ checkpointDir: TINY })
    const runner = handlerRunner(wb.handlers(), await wb.origin())
    const t0 = performance.now()
    for (const e of edits) {
      const exp = await local.save({ name: 'local', edits: e })
      await local.addRun(exp.id, await runner.run({ kind: 'predict', inputs: { text: TEXT }, settings: { topK: 10 } }, exp.edits))
    }
    figures.sweepLocalMsPerJob = (performance.now() - t0) / jobs
  } finally {
    await local.close()
    await wb.dispose()
  }

  const port = 20000 + Math.floor(Math.random() * 20000)
  const redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  })
  const url = `redis://127.0.0.1:${port}`
  const workers: ChildProcess[] = []
  try {
    for (let i = 0; ; i++) {
      try {
        await checkRedis(url, 1000)
        break
      } catch (e) {
        if (i > 50) throw e
        await new Promise((r) => setTimeout(r, 100))
      }
    }
    for (const n of [1, 2]) {
      const queue = `bench${n}`
      workers.push(...(await Promise.all(Array.from({ length: n }, () => startWorker(url, queue)))))
      const q = await SweepQueue.open(url, queue)
      const store = await ExperimentStore.open(join(dir, `sweep${n}.sqlite`))
      try {
        const t0 = performance.now()
        const s = await submitSweep(q, doc, join(dir, 'sweep.json'))
        const summary = await followSweep(q, s.meta, { store, checkpoint: { dir: s.checkpointDir, config: s.config }, pollMs: 50 })
        const ms = performance.now() - t0
        if (summary.completed !== jobs) throw new Error(`${summary.completed} of ${jobs} jobs completed`)
        figures[`sweepJobsPerSec${n}`] = jobs / (ms / 1000)
        if (n === 1) figures.sweepOverheadMsPerJob = ms / jobs - figures.sweepLocalMsPerJob!
      } finally {
        await store.close()
        await q.close()
        for (const w of workers.splice(0)) await stop(w)
      }
    }
    notes.push(
      `sweep: ${jobs} predict jobs on the tiny fixture (${TEXT.length} characters); workers are separate processes on this machine, sharing its cores`,
    )
  } finally {
    for (const w of workers) await stop(w)
    redis.kill('SIGTERM')
    rmSync(dir, { recursive: true, force: true })
  }
  process.stdout.write(PHASE_RESULT_PREFIX + JSON.stringify({ phase: 'sweep', figures, notes } satisfies PhaseResult) + '\n')
}

/** A worker process on the tiny fixture (`node --import tsx`, so signals reach it), once it is ready. */
function startWorker(url: string, queue: string): Promise<ChildProcess> {
  const w = spawn(
    process.execPath,
    ['--import', 'tsx', 'src/cli/index.ts', 'worker', '--redis', url, '--queue', queue, '--checkpoint', TINY],
    { cwd: REPO_ROOT, env: process.env, stdio: ['ignore', 'ignore', 'pipe'] },
  )
  return new Promise((resolve, reject) => {
    let err = ''
    w.stderr!.on('data', (d: Buffer) => {
      err += d.toString()
      if (err.includes('"event":"ready"')) resolve(w)
    })
    w.once('exit', (code) => reject(new Error(`worker exited with ${code}: ${err.slice(-300)}`)))
  })
}

async function stop(w: ChildProcess): Promise<void> {
  if (w.exitCode !== null || w.signalCode !== null) return
  const exited = new Promise((r) => w.once('exit', r))
  w.kill('SIGTERM')
  await exited
}

await main()
