import { parseArgs } from 'node:util'
import { generate } from '../../src/main/generation/generate'
import { analysisRunner } from '../../src/main/interventions/apply-sense-edits'
import { resolveModelSource } from '../../src/main/runtime/model-source'
import { openEngine } from '../../src/main/runtime/open-engine'
import type { WorkerEngine } from '../../src/main/runtime/worker-engine'
import { benchIds } from './bench-common'

/**
 * Generation speed: `npx tsx tools/bench/generation-bench.ts <checkpoint or ONNX dir> [--prompt 64]
 * [--new 128] [--full-new N] [--provider cpu]` prints one JSON object: greedy tokens/s with
 * incremental decoding (spec §3.6: cached GPT-2 K/V and weight-net keys, per-id senses, one
 * α row and one combined position per step, speculation off), incremental with the default
 * speculative steps from prompt lookup, and full recomputation of the whole sequence every
 * step; the speed-up of incremental over full, and whether all three produced the same tokens. `--full-new`
 * shortens the (slow) full-recomputation run; both rates then cover their own token counts.
 * Not a test: no timing is asserted anywhere. The cache is BACKPACK_CACHE_DIR's.
 */
export interface GenerationBench {
  checkpoint: string
  provider: string
  promptTokens: number
  incremental: { newTokens: number; tokensPerS: number; promptMs: number; totalMs: number }
  speculative: { newTokens: number; tokensPerS: number; promptMs: number; totalMs: number; guessed: number; accepted: number }
  full: { newTokens: number; tokensPerS: number; promptMs: number; totalMs: number }
  speedup: number
  sameTokens: boolean
}

export async function generationBench(
  engine: WorkerEngine,
  dir: string,
  options: { prompt?: number; newTokens?: number; fullNewTokens?: number } = {},
): Promise<GenerationBench> {
  const prompt = benchIds(options.prompt ?? 64, engine.config.vocabSize, 3)
  const newTokens = options.newTokens ?? 128
  const fullNew = options.fullNewTokens ?? newTokens
  const runner = analysisRunner(engine)
  // warm-up: sessions, sense cache of the prompt ids, JIT
  await generate(engine, { ids: prompt, maxNewTokens: 4, stopAtEndOfText: false, runner })
  const inc = await generate(engine, { ids: prompt, maxNewTokens: newTokens, stopAtEndOfText: false, runner, speculate: 0 })
  const spec = await generate(engine, { ids: prompt, maxNewTokens: newTokens, stopAtEndOfText: false, runner })
  const full = await generate(engine, { ids: prompt, maxNewTokens: fullNew, stopAtEndOfText: false, runner, recompute: 'full' })
  const n = Math.min(inc.ids.length, full.ids.length)
  const rate = (r: typeof inc) => ({
    newTokens: r.ids.length,
    tokensPerS: r.tokensPerSecond,
    promptMs: r.timingsMs.prompt,
    totalMs: r.timingsMs.total,
  })
  return {
    checkpoint: dir,
    provider: engine.provider.name,
    promptTokens: prompt.length,
    incremental: rate(inc),
    speculative: { ...rate(spec), ...spec.speculation },
    full: rate(full),
    speedup: inc.tokensPerSecond / full.tokensPerSecond,
    sameTokens:
      inc.ids.slice(0, n).every((id, i) => id === full.ids[i]) &&
      spec.ids.length === inc.ids.length &&
      spec.ids.every((id, i) => id === inc.ids[i]),
  }
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { prompt: { type: 'string' }, new: { type: 'string' }, 'full-new': { type: 'string' }, provider: { type: 'string' } },
  })
  const dir = positionals[0]
  if (!dir)
    throw new Error('usage: tsx tools/bench/generation-bench.ts <checkpointDir> [--prompt 64] [--new 128] [--full-new N] [--provider cpu]')
  const engine = await openEngine({ ...resolveModelSource({ checkpoint: dir }), provider: values.provider }) // an HF checkpoint or a converted ONNX export
  try {
    const r = await generationBench(engine, dir, {
      prompt: values.prompt ? Number(values.prompt) : undefined,
      newTokens: values.new ? Number(values.new) : undefined,
      fullNewTokens: values['full-new'] ? Number(values['full-new']) : undefined,
    })
    process.stdout.write(JSON.stringify(r, null, 2) + '\n')
  } finally {
    await engine.dispose()
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((e: unknown) => {
    process.stderr.write(`${(e as Error).stack ?? String(e)}\n`)
    process.exit(1)
  })
}
