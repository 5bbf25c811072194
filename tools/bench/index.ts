import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { parsePhaseResult, runChild, type PhaseResult } from './bench-common'
import { REPO_ROOT, benchDir, ensureFullSizeCheckpoint, referencePython } from './full-size-checkpoint'
import { demoPhase } from './demo-phase'
import { processPhase } from './process-phase'
import { buildRows, renderTable, type BenchRow } from './report-table'

/**
 * `npm run bench` (never part of `npm test`): the full-size random checkpoint through our
 * engine's public API and through the PyTorch reference (tools/reference/bench_reference.py),
 * same thread count, same run; prints a table metric / ours / PyTorch / ratio / target.
 *
 *   npm run bench [-- --repeats 5 --skip-table --skip-topic --skip-generation --skip-store --skip-sweep --skip-reference
 *                    --skip-process --skip-finetune --skip-demo --full-reference --json out.json]
 *   npm run bench -- --provider webgpu|cuda [--checkpoint DIR] [--repeats 5] [--skip-table]
 *                    (the GPU bench instead: tools/bench/provider-phase.ts; exit 2 at once when the provider cannot start)
 *
 * Each of our phases runs in its own process (tools/bench/engine-phase.ts) so each peak RSS is
 * that phase's own; conversion uses an empty ONNX cache made for this run (removed at the end).
 */
const { values: flags } = parseArgs({
  options: {
    repeats: { type: 'string', default: '5' },
    'skip-table': { type: 'boolean', default: false },
    // the topic phase builds the full-size topic scores once (~6 min, kept in <benchDir>/topic-sense-table)
    'skip-topic': { type: 'boolean', default: false },
    'skip-generation': { type: 'boolean', default: false },
    'skip-store': { type: 'boolean', default: false },
    // sweeps on Redis workers (tools/bench/sweep-phase.ts): needs Debian's redis-server
    'skip-sweep': { type: 'boolean', default: false },
    'skip-reference': { type: 'boolean', default: false },
    // whole processes: the built CLI's start-up and `forward` T=512 vs the PyTorch process (process-phase.ts)
    'skip-process': { type: 'boolean', default: false },
    // one epoch of sense fine-tuning (10 examples) vs the same loop in PyTorch autograd (finetune-phase.ts)
    'skip-finetune': { type: 'boolean', default: false },
    // the demo checkpoint from a cold cache: first reverse lookup, first topic run (demo-phase.ts)
    'skip-demo': { type: 'boolean', default: false },
    // the reference's generation (full recompute) is minutes on 2 cores: by default time a uniform
    // sample of its steps; --full-reference times every one. Its sense table always times every
    // batch: a sample of 8 of 99 batches came out 30-41 s where all 99 took 48 s (docs/benchmarks.md)
    'full-reference': { type: 'boolean', default: false },
    json: { type: 'string' },
    // the GPU bench (provider-phase.ts) instead of the CPU one: parity vs CPU, forward T=512, generation, sense table
    provider: { type: 'string' },
    checkpoint: { type: 'string' },
  },
})
const repeats = Math.max(1, Number(flags.repeats) || 5)
const threads = availableParallelism()
const log = (line: string) => process.stderr.write(`[bench] ${line}\n`)
const tsx = join(REPO_ROOT, 'node_modules', '.bin', 'tsx')

async function phase(name: string, dir: string, env: NodeJS.ProcessEnv): Promise<PhaseResult> {
  log(`ours: ${name} phase …`)
  try {
    return parsePhaseResult(await runChild(tsx, [join(REPO_ROOT, 'tools/bench/engine-phase.ts'), name, dir, String(repeats)], env))
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e)
    log(`ours: ${name} phase failed: ${why}`)
    return { phase: name, figures: {}, notes: [`${name} phase: not available (${why.split('\n')[0]})`] }
  }
}

async function guarded(name: string, run: () => Promise<PhaseResult>): Promise<PhaseResult> {
  try {
    return await run()
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e)
    log(`${name} phase failed: ${why}`)
    return { phase: name, figures: {}, notes: [`${name} phase: not available (${why.split('\n')[0]})`] }
  }
}

async function reference(dir: string): Promise<PhaseResult> {
  if (flags['skip-reference']) return { phase: 'reference', figures: {}, notes: ['reference skipped'] }
  log(`PyTorch reference (${threads} threads) …`)
  const args = [
    join(REPO_ROOT, 'tools/reference/bench_reference.py'),
    '--checkpoint',
    dir,
    '--threads',
    String(threads),
    '--repeats',
    String(repeats),
  ]
  if (!flags['skip-table']) args.push('--sense-table')
  if (flags['skip-generation']) args.push('--skip-generation')
  else if (!flags['full-reference']) args.push('--gen-sample', '16')
  try {
    const r = JSON.parse((await runChild(referencePython(), args)).trim().split('\n').pop() ?? '{}') as Record<string, unknown>
    const fwd = (r.forwardMs ?? {}) as Record<string, number>
    const gen = r.generation as { tokensPerSecond?: number } | undefined
    return {
      phase: 'reference',
      figures: {
        loadMs: r.loadMs as number,
        forwardT64Ms: fwd.T64 ?? null,
        forwardT512Ms: fwd.T512 ?? null,
        peakRssMb: r.peakRssMb as number,
        combineT32Ms: r.combineT32Ms as number,
        atlasMs: r.atlasMs as number,
        generationTokensPerS: gen?.tokensPerSecond ?? null,
        senseTableMs: (r.senseTableMs as number | undefined) ?? null,
      },
      notes: [
        `reference: torch ${String(r.torch)}, ${String(r.threads)} threads`,
        ...(r.generation ? [`reference generation: ${String((r.generation as { mode?: string }).mode)}`] : []),
        ...(r.senseTableMode ? [`reference sense table: ${String(r.senseTableMode)}`] : []),
      ],
    }
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e)
    return { phase: 'reference', figures: {}, notes: [`reference: not available (${why.split('\n')[0]})`] }
  }
}

async function finetunePhase(dir: string, env: NodeJS.ProcessEnv): Promise<PhaseResult> {
  log('fine-tune phase (ours in the engine worker, then PyTorch autograd on the same senses) …')
  try {
    return parsePhaseResult(await runChild(tsx, [join(REPO_ROOT, 'tools/bench/finetune-phase.ts'), dir], env))
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e)
    return { phase: 'finetune', figures: {}, notes: [`fine-tune: not available (${why.split('\n')[0]})`] }
  }
}

async function storePhase(): Promise<PhaseResult> {
  if (flags['skip-store']) return { phase: 'store', figures: {}, notes: ['store skipped'] }
  log('store scale phase …')
  try {
    return parsePhaseResult(await runChild(tsx, [join(REPO_ROOT, 'tools/bench/store-phase.ts')]))
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e)
    return { phase: 'store', figures: {}, notes: [`store: not available (${why.split('\n')[0]})`] }
  }
}

async function sweepPhase(): Promise<PhaseResult> {
  if (flags['skip-sweep']) return { phase: 'sweep', figures: {}, notes: ['sweep skipped'] }
  log('sweep phase (redis-server, 1 and 2 workers) …')
  try {
    return parsePhaseResult(await runChild(tsx, [join(REPO_ROOT, 'tools/bench/sweep-phase.ts')]))
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e)
    return { phase: 'sweep', figures: {}, notes: [`sweep: not available (${why.split('\n')[0]})`] }
  }
}

/** The sweep phase's rows (tiny fixture: the figures are the queue's own cost, not the model's). */
function sweepRows(sweep: PhaseResult): BenchRow[] {
  const f = (k: string) => (typeof sweep.figures[k] === 'number' ? (sweep.figures[k] as number) : null)
  return [
    {
      metric: 'sweep: jobs/s, 1 worker (tiny fixture)',
      unit: 'jobs/s',
      ours: f('sweepJobsPerSec1'),
      reference: null,
      target: 'reported',
      higherIsBetter: true,
    },
    {
      metric: 'sweep: jobs/s, 2 workers (tiny fixture)',
      unit: 'jobs/s',
      ours: f('sweepJobsPerSec2'),
      reference: null,
      target: 'reported',
      higherIsBetter: true,
    },
    { metric: 'sweep: local run + write, per job', unit: 'ms', ours: f('sweepLocalMsPerJob'), reference: null, target: 'reported' },
    {
      metric: 'sweep: overhead per job vs local (1 worker)',
      unit: 'ms',
      ours: f('sweepOverheadMsPerJob'),
      reference: null,
      target: 'reported',
    },
  ]
}

/** `--provider X`: the GPU bench in a child process, its output and exit status passed through. */
function providerBench(provider: string): void {
  const args = [join(REPO_ROOT, 'tools/bench/provider-phase.ts'), '--provider', provider, '--repeats', String(repeats)]
  if (flags.checkpoint) args.push('--checkpoint', flags.checkpoint)
  if (flags['skip-table']) args.push('--skip-table')
  const r = spawnSync(tsx, args, { stdio: 'inherit' })
  process.exitCode = r.status ?? 1
}

async function main(): Promise<void> {
  if (flags.provider) return providerBench(flags.provider)
  const { dir, generatedMs } = ensureFullSizeCheckpoint(log)
  if (generatedMs !== null) log(`generated in ${(generatedMs / 1000).toFixed(1)} s`)
  mkdirSync(benchDir(), { recursive: true })
  const cache = mkdtempSync(join(benchDir(), 'onnx-cache-'))
  // the phases' cache is temporary; the topic table (minutes to build) is kept in <benchDir>/topic-sense-table
  const env = {
    ...process.env,
    BACKPACK_CACHE_DIR: cache,
    BACKPACK_TOPIC_TABLE_DIR: process.env.BACKPACK_TOPIC_TABLE_DIR ?? join(benchDir(), 'topic-sense-table'),
  }
  const results: PhaseResult[] = []
  try {
    results.push(await phase('convert', dir, env))
    results.push(await phase('run', dir, env))
    if (!flags['skip-process']) results.push(await guarded('process', () => processPhase(dir, env, repeats, flags['skip-reference'], log)))
    if (!flags['skip-table']) results.push(await phase('table', dir, env))
    if (!flags['skip-topic']) results.push(await phase('topic', dir, env))
    if (!flags['skip-finetune']) results.push(await finetunePhase(dir, env))
    if (!flags['skip-demo']) results.push(await guarded('demo', () => demoPhase(log)))
  } finally {
    rmSync(cache, { recursive: true, force: true })
  }
  const ref = await reference(dir)
  const store = await storePhase()
  const sweep = await sweepPhase()
  const rows = [...buildRows(results, ref, store), ...sweepRows(sweep)]
  const header = `Backpack bench — full-size random checkpoint (d=768, 12 layers, 16 senses, vocab 50264), ${threads} threads, ${process.platform}/${process.arch}, Node ${process.version}`
  process.stdout.write(`\n${header}\n\n${renderTable(rows)}\n`)
  const notes = [...results, ref, store, sweep].flatMap((r) => r.notes)
  if (notes.length > 0) process.stdout.write(`\nNotes:\n${notes.map((n) => `- ${n}`).join('\n')}\n`)
  if (flags.json)
    writeFileSync(
      flags.json,
      JSON.stringify({ header, threads, checkpoint: dir, phases: [...results, ref, store, sweep], rows }, null, 2) + '\n',
    )
  // the bench checks what it times: outputs that disagree with the reference fail the run
  if (results.some((r) => r.figures.processOutputsAgree === 0)) process.exitCode = 1
}

await main()
