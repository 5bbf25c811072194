import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { generate } from '../../src/main/generation/generate'
import { openEngine } from '../../src/main/runtime/open-engine'
import { parseProviderChoice } from '../../src/main/runtime/select-provider'
import { openSenseTable } from '../../src/main/senses/sense-table'
import { reverseLookup } from '../../src/main/senses/reverse-lookup'
import { PHASE_RESULT_PREFIX, benchIds, median, type PhaseResult } from './bench-common'
import { compareTensors } from './compare-tensors'
import { REPO_ROOT, ensureFullSizeCheckpoint } from './full-size-checkpoint'

/**
 * The GPU bench (`npm run bench -- --provider webgpu|cuda [--checkpoint DIR]`, which runs this
 * file): one execution provider on the full-size checkpoint, checked against the CPU provider in
 * the same process — forward T=512 parity (logits, senses, α within `--tolerance` of each
 * tensor's scale) and the same greedy tokens — then forward T=512 time, incremental generation
 * tokens/s and the whole-vocabulary sense table build with a reverse lookup, on that provider.
 * Prints the provider actually used and the card (nvidia-smi), then a `BENCH_RESULT` line.
 * `--provider cpu` runs the same steps against the CPU itself (a dry run of the script).
 *
 * It fails fast (exit 2, before any checkpoint work) when the provider cannot start here: the
 * tiny fixture is opened with it first, and onnxruntime's refusal is printed as is (no WebGPU
 * adapter; no CUDA libraries — `ONNXRUNTIME_NODE_INSTALL=cuda12 npm rebuild onnxruntime-node`
 * fetches them). Exit 1 when the
 * outputs disagree with the CPU's.
 */
const { values: flags } = parseArgs({
  options: {
    provider: { type: 'string' },
    checkpoint: { type: 'string' },
    repeats: { type: 'string', default: '5' },
    tolerance: { type: 'string', default: '1e-4' },
    'new-tokens': { type: 'string', default: '128' },
    'skip-table': { type: 'boolean', default: false },
  },
})
const log = (line: string) => process.stderr.write(`[bench:gpu] ${line}\n`)
const repeats = Math.max(1, Number(flags.repeats) || 5)
const tolerance = Number(flags.tolerance)

/** The card(s) as nvidia-smi names them, or why not. */
function cardInfo(): string {
  try {
    return execFileSync('nvidia-smi', ['--query-gpu=name,memory.total,driver_version', '--format=csv,noheader'], {
      encoding: 'utf8',
      timeout: 10_000,
    })
      .trim()
      .replace(/\n/g, '; ')
  } catch (e) {
    return `unknown (nvidia-smi: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message.split('\n')[0]})`
  }
}

/** Opens the tiny fixture with the provider: throws (typed provider-unavailable) in seconds when it cannot start. */
async function preflight(provider: string): Promise<string> {
  const engine = await openEngine({ checkpointDir: join(REPO_ROOT, 'test/fixtures/checkpoints/tiny-fullvocab'), provider })
  try {
    if (engine.provider.name !== provider) throw new Error(`asked for ${provider}, the engine runs on ${engine.provider.name}`)
    await engine.forward([1, 2, 3])
    return engine.provider.name
  } finally {
    await engine.dispose()
  }
}

async function timedRuns(fn: () => Promise<unknown>): Promise<number[]> {
  await fn() // warm-up (first runs on a GPU compile kernels and upload weights)
  const out: number[] = []
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now()
    await fn()
    out.push(performance.now() - t0)
  }
  return out
}

async function main(): Promise<void> {
  const provider = parseProviderChoice(flags.provider)
  // 'cpu' runs the same steps against itself: a dry run of this script on a machine without a GPU
  if (provider === 'auto')
    throw new Error(`--provider names one provider (cuda, webgpu, tensorrt, dml, coreml, or cpu for a dry run); got ${flags.provider}`)
  const card = cardInfo()
  log(`provider ${provider}; card: ${card}`)
  try {
    await preflight(provider)
  } catch (e) {
    const code = (e as { code?: string }).code ?? 'error'
    process.stderr.write(
      `\nThe ${provider} provider is not available here (${code}):\n  ${(e as Error).message.split('\n')[0]}\nNothing was benchmarked. See docs/benchmarks.md, "GPU bench".\n`,
    )
    process.exit(2)
  }
  const dir = flags.checkpoint ?? ensureFullSizeCheckpoint(log).dir
  const figures: PhaseResult['figures'] = {}
  const notes: string[] = [`provider ${provider}`, `card ${card}`, `checkpoint ${dir}`]
  let t0 = performance.now()
  const cpu = await openEngine({ checkpointDir: dir, provider: 'cpu', weights: 'mapped' })
  log(`CPU open (converts once): ${(performance.now() - t0).toFixed(0)} ms`)
  const vocab = cpu.config.vocabSize
  const ids = benchIds(512, vocab, 512)
  const prompt = benchIds(64, vocab, 3)
  const newTokens = Math.max(1, Number(flags['new-tokens']) || 128)
  const greedy = { maxNewTokens: newTokens, strategy: 'greedy', recompute: 'incremental', stopAtEndOfText: false, speculate: 0 } as const
  const want = await cpu.forward(ids)
  const wantTokens = (await generate(cpu, { ids: prompt, ...greedy })).ids
  await cpu.dispose()

  t0 = performance.now()
  const engine = await openEngine({ checkpointDir: dir, provider })
  figures.openMs = performance.now() - t0
  notes.push(`engine provider: ${JSON.stringify(engine.provider)}`)
  let agree = true
  try {
    const got = await engine.forward(ids)
    const { numSenses: k, nEmbd: d } = engine.config
    for (const c of [
      compareTensors('logits', [512, vocab], got.logits, want.logits),
      compareTensors('senses', [k, 512, d], got.senses, want.senses),
      compareTensors('contextualization', [k, 512, 512], got.contextualization, want.contextualization),
    ]) {
      figures[`${c.name}RelativeError`] = c.relativeError
      const ok = c.relativeError <= tolerance
      agree &&= ok
      notes.push(
        `parity ${c.name}: max |error| ${c.maxAbsError.toExponential(2)} = ${c.relativeError.toExponential(2)} of scale ${c.scale.toPrecision(4)} at [${c.worstIndex.join(', ')}] (${ok ? 'ok' : 'EXCEEDS'} ${tolerance})`,
      )
    }
    const forward = await timedRuns(() => engine.forward(ids))
    figures.forwardT512Ms = median(forward)
    figures.forwardT512MinMs = Math.min(...forward)

    await generate(engine, { ...greedy, ids: prompt.slice(0, 16), maxNewTokens: 4 }) // warm-up
    t0 = performance.now()
    const gen = await generate(engine, { ids: prompt, ...greedy })
    figures.generationTokensPerS = gen.ids.length / ((performance.now() - t0) / 1000)
    const sameTokens = gen.ids.length === wantTokens.length && gen.ids.every((id, i) => id === wantTokens[i])
    figures.generationSameTokens = sameTokens ? 1 : 0
    agree &&= sameTokens
    notes.push(
      `generation: ${gen.ids.length} greedy tokens after a 64-token prompt, ${sameTokens ? 'the same as' : 'DIFFERENT from'} the CPU's`,
    )

    if (!flags['skip-table']) {
      const tableDir = mkdtempSync(join(tmpdir(), 'bench-gpu-sense-table-'))
      try {
        t0 = performance.now()
        const table = await openSenseTable(engine, { dir: tableDir, need: 'senses' })
        figures.senseTableBuildMs = performance.now() - t0
        t0 = performance.now()
        await reverseLookup(engine, table, 262, { top: 20 })
        figures.reverseLookupFirstMs = performance.now() - t0
      } finally {
        rmSync(tableDir, { recursive: true, force: true })
      }
    }
  } finally {
    await engine.dispose()
  }
  figures.outputsAgree = agree ? 1 : 0
  figures.peakRssMb = process.resourceUsage().maxRSS / 1024
  for (const [key, value] of Object.entries(figures))
    process.stdout.write(`${key.padEnd(24)} ${typeof value === 'number' ? +value.toPrecision(4) : value}\n`)
  for (const note of notes) process.stdout.write(`- ${note}\n`)
  const result: PhaseResult = { phase: `provider-${provider}`, figures, notes }
  process.stdout.write(`${PHASE_RESULT_PREFIX}${JSON.stringify(result)}\n`)
  if (!agree) process.exitCode = 1
}

await main()
