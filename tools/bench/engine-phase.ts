import { mkdtempSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { openEngine } from '../../src/main/runtime/open-engine'
import type { WorkerEngine } from '../../src/main/runtime/worker-engine'
import { PHASE_RESULT_PREFIX, benchIds, median, timed, type PhaseResult } from './bench-common'

/**
 * One measurement phase of `npm run bench`, run in its own process so each phase's peak RSS is
 * its own: `tsx tools/bench/engine-phase.ts <phase> <checkpointDir> [repeats]` prints one line
 * `BENCH_RESULT {json}`. The cache folder is whatever BACKPACK_CACHE_DIR says (set by index.ts).
 *   convert  open with an empty cache: conversion + session creation (cold load, mapped weights)
 *   run      open again (cached load: mapped weights, then pre-packed as the app opens), forward
 *            T=64/T=512, then the analysis-core figures
 *   table    whole-vocabulary sense table build + reverse lookup (large RSS, so separate)
 *   topic    full-size topic scores (cached, resumable) + a small topic suite (topic-phase.ts)
 * Every analysis section is guarded: a module that does not exist yet reports "not available".
 */
type Figures = PhaseResult['figures']

async function section(figures: Figures, notes: string[], name: string, fn: () => Promise<void>): Promise<void> {
  try {
    await fn()
  } catch (e) {
    const why = e instanceof Error ? e.message.split('\n')[0] : String(e)
    process.stderr.write(`[bench] ${name} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`)
    figures[name] = null
    notes.push(`${name}: not available (${why})`)
  }
}

async function convertPhase(dir: string, figures: Figures, notes: string[]): Promise<void> {
  const t0 = performance.now()
  // as a one-shot CLI command opens (the app's pre-packed open is timed cached in the run phase)
  const engine = await openEngine({ checkpointDir: dir, weights: 'mapped' })
  figures.coldLoadMs = performance.now() - t0
  notes.push(
    `cold open did: ${engine.opened.work}; provider ${engine.provider.name}; open timings ${JSON.stringify(roundAll(engine.opened.timingsMs))}`,
  )
  // onnx-cache laps: lookup (fingerprint), read (parse + hash the checkpoint), convert (write ONNX)
  const t = engine.opened.timingsMs
  if (typeof t.convert === 'number') figures.conversionMs = (t.lookup ?? 0) + (t.read ?? 0) + t.convert
  else notes.push(`conversionMs: the cold open reported no "convert" lap (${engine.opened.work}); coldLoadMs includes any conversion`)
  await engine.dispose()
}

async function runPhase(dir: string, repeats: number, figures: Figures, notes: string[]): Promise<void> {
  let t0 = performance.now()
  const mapped = await openEngine({ checkpointDir: dir, weights: 'mapped' })
  figures.cachedLoadMappedMs = performance.now() - t0
  notes.push(`cached open, mapped weights: ${JSON.stringify(roundAll(mapped.opened.timingsMs))}`)
  await mapped.dispose()
  t0 = performance.now()
  const engine = await openEngine({ checkpointDir: dir, weights: 'prepacked' })
  figures.cachedLoadMs = performance.now() - t0
  notes.push(
    `cached open did: ${engine.opened.work}; provider ${engine.provider.name}; pre-packed weights: ${JSON.stringify(roundAll(engine.opened.timingsMs))}`,
  )
  try {
    const V = engine.config.vocabSize
    for (const T of [64, 512]) {
      const ids = benchIds(T, V, T)
      figures[`forwardT${T}Ms`] = await timed(() => engine.forward(ids), T > 64 ? Math.max(2, Math.ceil(repeats / 2)) : repeats)
    }
    figures.rssAfterForwardMb = process.memoryUsage().rss / 2 ** 20
    await analysisSections(engine, repeats, figures, notes)
  } finally {
    await engine.dispose()
  }
}

async function analysisSections(engine: WorkerEngine, repeats: number, figures: Figures, notes: string[]): Promise<void> {
  const { vocabSize: V, numSenses: k } = engine.config
  await section(figures, notes, 'editsRerunT32Ms', async () => {
    const { analysisRunner, parseSenseEditsFor } = await import('../../src/main/interventions/apply-sense-edits')
    const runner = analysisRunner(engine)
    const ids = benchIds(32, V, 1)
    const doc = (factor: number) => ({
      format: 'backpack-sense-edits',
      version: 1,
      edits: [
        { kind: 'scale-sense', token: ids[3], sense: [3 % k, 10 % k], factor },
        { kind: 'knowledge-edit', token: ids[5], remove: ids[7], add: ids[9] },
      ],
    })
    await runner.run(ids, parseSenseEditsFor(engine, doc(1)).edits) // computes and caches α
    let n = 0
    // a new factor every time, so only α is reused (the edited senses are recomputed)
    figures.editsRerunT32Ms = await timed(() => runner.run(ids, parseSenseEditsFor(engine, doc(0.5 + 0.01 * n++)).edits), repeats)
  })
  await section(figures, notes, 'atlasMs', async () => {
    const { senseAtlas } = await import('../../src/main/senses/sense-atlas')
    const words = [
      ' nurse',
      ' science',
      ' quickly',
      ' build',
      ' Apple',
      ' believe',
      ' pizza',
      ' Messi',
      ' interest',
      ' tasty',
      ' developer',
    ]
    // The first atlas calls of a process are slow (JIT of the ranking code in both threads, first
    // runs of the sense network and projection at these shapes: 370, 195, 70, 48 ms measured):
    // reported on their own, then "warm" = after four warm-up words, a new word each time.
    const t0 = performance.now()
    await senseAtlas(engine, ' the', { top: 10 })
    figures.atlasFirstMs = performance.now() - t0
    for (const w of [' of', ' and', ' to']) await senseAtlas(engine, w, { top: 10 })
    let i = 0
    const parts: Record<string, number>[] = []
    const walls: number[] = []
    figures.atlasMs = await timed(
      async () => {
        const t = performance.now()
        const atlas = await senseAtlas(engine, words[i++ % words.length], { top: 10 })
        walls.push(performance.now() - t)
        parts.push(atlas.timingsMs)
      },
      Math.min(Math.max(repeats, 7), words.length - 1),
    )
    // the measured calls (timed's first call is its warm-up): where the time goes, and the spread
    const measured = parts.slice(1)
    const med = (key: string) => median(measured.map((p) => p[key] ?? 0)).toFixed(1)
    const spread = walls
      .slice(1)
      .map((w) => w.toFixed(1))
      .join(', ')
    notes.push(
      `atlas, medians of the measured calls: senses ${med('senses')} ms, projection ${med('project')} ms, ranking ${med('rank')} ms; every call: ${spread} ms`,
    )
  })
  await section(figures, notes, 'generationTokensPerS', async () => {
    const generate = await loadGenerate()
    const prompt = benchIds(64 + 128, V, 3)
    await generate(engine, prompt.slice(0, 16), 4, 'incremental', 0) // warm-up
    // the target's figure: incremental decoding one token per GPT-2 step (speculation off)
    let t0 = performance.now()
    const made = (await generate(engine, prompt.slice(0, 64), 128, 'incremental', 0)).tokens
    figures.generationTokensPerS = made / ((performance.now() - t0) / 1000)
    // the default: speculative steps from prompt lookup (same tokens; this random model's greedy text loops, which flatters it)
    t0 = performance.now()
    const spec = await generate(engine, prompt.slice(0, 64), 128, 'incremental', undefined)
    figures.generationSpeculativeTokensPerS = spec.tokens / ((performance.now() - t0) / 1000)
    if (spec.speculation)
      notes.push(`generation with speculation (default): ${spec.speculation.accepted} of ${spec.speculation.guessed} guessed tokens kept`)
    // full recompute per step, like the reference: one step at 8 evenly spaced lengths 64..191
    const steps: number[] = []
    for (let i = 0; i < 8; i++) {
      const n = 64 + Math.round((i * 127) / 7)
      const t1 = performance.now()
      await generate(engine, prompt.slice(0, n), 1, 'full', 0)
      steps.push(performance.now() - t1)
    }
    figures.generationFullRecomputeTokensPerS = 1000 / (steps.reduce((a, b) => a + b, 0) / steps.length)
    const speedUp = figures.generationTokensPerS / figures.generationFullRecomputeTokensPerS
    notes.push(
      `generation: ${made} tokens incremental without speculation (includes the 64-token prompt pass), ${speedUp.toFixed(1)}× our full recompute (8 sampled steps)`,
    )
  })
}

type Generate = (
  engine: WorkerEngine,
  prompt: number[],
  n: number,
  recompute: 'incremental' | 'full',
  speculate: number | undefined,
) => Promise<{ tokens: number; speculation?: { guessed: number; accepted: number } }>

/** The analysis core's greedy generation (src/main/generation/generate.ts): new tokens made, and the speculation counts. */
async function loadGenerate(): Promise<Generate> {
  const path = '../../src/main/generation/generate'
  const mod = (await import(/* @vite-ignore */ path)) as Record<string, unknown>
  const fn = mod.generate
  if (typeof fn !== 'function') throw new Error(`${path} exports no generate()`)
  return async (engine, prompt, n, recompute, speculate) => {
    const options = {
      ids: prompt,
      maxNewTokens: n,
      strategy: 'greedy',
      recompute,
      stopAtEndOfText: false,
      ...(speculate === undefined ? {} : { speculate }),
    }
    const result =
      (await (fn as (e: WorkerEngine, o: unknown) => Promise<{ ids?: unknown; speculation?: { guessed: number; accepted: number } }>)(
        engine,
        options,
      )) ?? {}
    if (!Array.isArray(result.ids)) throw new Error('generate() returned no ids')
    return { tokens: result.ids.length, ...(result.speculation ? { speculation: result.speculation } : {}) }
  }
}

async function tablePhase(dir: string, figures: Figures, notes: string[]): Promise<void> {
  const engine = await openEngine({ checkpointDir: dir })
  const tableDir = mkdtempSync(join(process.env.BACKPACK_CACHE_DIR ?? '/tmp', 'bench-sense-table-'))
  try {
    await section(figures, notes, 'senseTableBuildMs', async () => {
      const { openSenseTable } = await import('../../src/main/senses/sense-table')
      const r0 = process.resourceUsage()
      const t0 = performance.now()
      const table = await openSenseTable(engine, { dir: tableDir, need: 'senses' })
      figures.senseTableBuildMs = performance.now() - t0
      // on a shared machine the process CPU is the steadier figure; the RSS before the reverse lookup's int8 index
      const r1 = process.resourceUsage()
      figures.senseTableBuildCpuMs = (r1.userCPUTime - r0.userCPUTime + r1.systemCPUTime - r0.systemCPUTime) / 1000
      figures.senseTableRssMb = process.memoryUsage().rss / 2 ** 20
      notes.push(
        `sense table build: process CPU ${(figures.senseTableBuildCpuMs / 1000).toFixed(1)} s (system ${((r1.systemCPUTime - r0.systemCPUTime) / 1e6).toFixed(1)} s), RSS after it ${Math.round(figures.senseTableRssMb)} MB`,
      )
      await section(figures, notes, 'reverseLookupMs', async () => {
        const { reverseLookup } = await import('../../src/main/senses/reverse-lookup')
        const targets = [673, 339, 4196, 6574, 15849, 28084]
        await reverseLookup(engine, table, 262, { top: 20 })
        let i = 0
        figures.reverseLookupMs = await timed(() => reverseLookup(engine, table, targets[i++ % targets.length], { top: 20 }), 5)
      })
    })
  } finally {
    await engine.dispose()
    rmSync(tableDir, { recursive: true, force: true })
  }
}

function roundAll(r: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Math.round(v * 10) / 10]))
}

async function main(): Promise<void> {
  const [phase, dir, repeatsArg] = process.argv.slice(2)
  const repeats = Number(repeatsArg ?? 5)
  const figures: Figures = {}
  const notes: string[] = []
  if (phase === 'convert') await convertPhase(dir, figures, notes)
  else if (phase === 'run') await runPhase(dir, repeats, figures, notes)
  else if (phase === 'table') await tablePhase(dir, figures, notes)
  else if (phase === 'topic') await (await import('./topic-phase')).topicPhase(dir, figures, notes)
  else throw new Error(`phase must be convert, run, table or topic; got ${phase}`)
  figures.peakRssMb = process.resourceUsage().maxRSS / 1024
  const result: PhaseResult = { phase, figures, notes }
  process.stdout.write(`${PHASE_RESULT_PREFIX}${JSON.stringify(result)}\n`)
}

await main()
