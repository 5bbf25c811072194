import { openEngine } from '../../src/main/runtime/open-engine'
import { analysisRunner, parseSenseEditsFor } from '../../src/main/interventions/apply-sense-edits'
import { benchIds, median } from './bench-common'

/**
 * Where a re-run after an edit goes (the bench's `editsRerunT32Ms` section, broken down):
 * `npx tsx tools/bench/rerun-probe.ts <checkpoint dir> [runs] [prepacked|mapped]` opens the model,
 * runs the bench's 32-token prompt under its edit document once (α and the base cached), then
 * re-runs it with a new scale factor each time and prints each re-run's wall time in order (the
 * first ones of a process are the bench's), then min / median of the wall time and of the
 * runner's stages (senses, combine = the re-base).
 */
const [dir, runsArg, weights] = process.argv.slice(2)
const runs = Number(runsArg ?? 30)
const engine = await openEngine({ checkpointDir: dir, weights: weights === 'mapped' ? 'mapped' : 'prepacked' })
try {
  const { vocabSize: V, numSenses: k } = engine.config
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
  await runner.run(ids, parseSenseEditsFor(engine, doc(1)).edits)
  const walls: number[] = []
  const stages: Record<string, number[]> = {}
  for (let n = 0; n < runs + 1; n++) {
    const edits = parseSenseEditsFor(engine, doc(0.5 + 0.01 * n)).edits
    const t0 = performance.now()
    const out = await runner.run(ids, edits)
    if (n === 0) continue // warm-up
    walls.push(performance.now() - t0)
    for (const [key, ms] of Object.entries(out.timingsMs)) (stages[key] ??= []).push(ms)
  }
  const fmt = (xs: number[]) => `min ${Math.min(...xs).toFixed(2)} / median ${median(xs).toFixed(2)} ms`
  console.log(`re-run walls in order (ms): ${walls.map((w) => w.toFixed(1)).join(' ')}`)
  console.log(`re-run T=32 after an edit, ${runs} runs: wall ${fmt(walls)}`)
  for (const [key, xs] of Object.entries(stages)) console.log(`  ${key}: ${fmt(xs)}`)
} finally {
  await engine.dispose()
}
