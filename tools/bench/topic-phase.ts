import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { InterventionRunner } from '../../src/main/interventions/intervention-runner'
import { openEngine } from '../../src/main/runtime/open-engine'
import type { BackpackEngine } from '../../src/main/runtime/backpack-engine'
import { openSenseTable, type SenseTable } from '../../src/main/senses/sense-table'
import { topicSuite, type TopicSuiteResult } from '../../src/main/suites/topic-suite'
import type { PhaseResult } from './bench-common'
import { benchDir } from './full-size-checkpoint'

type Figures = PhaseResult['figures']
const log = (line: string) => process.stderr.write(`[bench] ${line}\n`)

/** The small topic suite run at full size: 2 topics × strengths 0–2 × 2 samples × 20 new tokens. */
export const SMALL_TOPIC_SUITE = { topics: ['sports', 'music'], strengths: [0, 1, 2] as const, samples: 2, maxNewTokens: 20, seed: 0 }

/**
 * Where the full-size topic table lives: kept between runs (the scores build is minutes, once per
 * checkpoint; an interrupted build resumes). $BACKPACK_TOPIC_TABLE_DIR, else <benchDir>/topic-sense-table.
 */
export function topicTableRoot(): string {
  return process.env.BACKPACK_TOPIC_TABLE_DIR ? resolve(process.env.BACKPACK_TOPIC_TABLE_DIR) : join(benchDir(), 'topic-sense-table')
}

export function topicTableDir(engine: BackpackEngine): string {
  return join(topicTableRoot(), engine.contentHash)
}

/**
 * Opens (building or resuming) the whole-vocabulary table with the topic scores, logging progress.
 * A build that starts from nothing records its wall time in scores-build.json next to the table,
 * so later runs (which only read it, ~1–2 s) still report the build time.
 */
export async function openTopicTable(engine: BackpackEngine): Promise<{
  table: SenseTable
  openMs: number
  built: { ms: number; fromScratch: boolean } | null
  recorded: { ms: number; at: string } | null
}> {
  const dir = topicTableDir(engine)
  const record = join(dir, 'scores-build.json')
  let first: number | null = null
  let lastLog = 0
  const t0 = performance.now()
  const table = await openSenseTable(engine, {
    dir,
    need: 'scores',
    onProgress: (p) => {
      first ??= p.done
      const now = performance.now()
      if (p.done === p.total || now - lastLog > 15_000) {
        lastLog = now
        log(`topic scores: ${p.done}/${p.total} tokens after ${((now - t0) / 1000).toFixed(0)} s`)
      }
    },
  })
  const openMs = performance.now() - t0
  const built = first !== null && first < engine.config.vocabSize ? { ms: openMs, fromScratch: first === 0 } : null
  if (built?.fromScratch) writeFileSync(record, JSON.stringify({ ms: openMs, at: new Date().toISOString() }) + '\n')
  const recorded = existsSync(record) ? (JSON.parse(readFileSync(record, 'utf8')) as { ms: number; at: string }) : null
  return { table, openMs, built, recorded }
}

/** Runs the small topic suite on a runner wired to the given table; returns the result and its time. */
export async function smallTopicSuite(
  engine: BackpackEngine,
  table: SenseTable,
): Promise<{ result: TopicSuiteResult; ms: number; runner: InterventionRunner }> {
  const runner = new InterventionRunner(engine, { senseTable: async () => table })
  const t0 = performance.now()
  let last = t0
  const result = await topicSuite(engine, {
    ...SMALL_TOPIC_SUITE,
    strengths: [...SMALL_TOPIC_SUITE.strengths],
    runner,
    includeTexts: true,
    onProgress: (p) => {
      const now = performance.now()
      log(`topic suite: ${p.topic} strength ${p.strength} (${p.done}/${p.total}) in ${((now - last) / 1000).toFixed(1)} s`)
      last = now
    },
  })
  return { result, ms: performance.now() - t0, runner }
}

/**
 * `engine-phase.ts topic`: the full-size topic scores (built once, cached and resumable; see
 * topicTableDir), then the small topic suite end to end. Figures: topicScoresBuildMs (this run's
 * build from scratch, else the recorded one), topicTableOpenMs, topicStep1Ms (steps 1–2 of the
 * first bag: bag dots, exact rescoring, quantiles), topicSuiteMs, per-strength means in the notes.
 */
export async function topicPhase(dir: string, figures: Figures, notes: string[]): Promise<void> {
  const engine = await openEngine({ checkpointDir: dir })
  try {
    const { table, openMs, built, recorded } = await openTopicTable(engine)
    figures.topicTableOpenMs = openMs
    figures.topicScoresBuildMs = built?.fromScratch ? built.ms : (recorded?.ms ?? null)
    if (built && !built.fromScratch)
      notes.push(`topic scores: resumed an interrupted build this run (${(built.ms / 1000).toFixed(0)} s for the rest)`)
    else if (!built && recorded)
      notes.push(
        `topic scores: read from ${topicTableDir(engine)} in ${(openMs / 1000).toFixed(1)} s (built ${recorded.at} in ${(recorded.ms / 1000).toFixed(0)} s)`,
      )
    const { result, ms, runner } = await smallTopicSuite(engine, table)
    figures.topicSuiteMs = ms
    figures.topicStep1Ms = runner.lastTopicScores?.ms ?? null
    notes.push(...describeTopicSuite(result, runner))
  } finally {
    await engine.dispose()
  }
}

export function describeTopicSuite(r: TopicSuiteResult, runner: InterventionRunner): string[] {
  const s = r.settings
  const lines = [
    `topic suite: ${r.topics.map((t) => t.topic).join(', ')} × strengths ${s.strengths.join('/')} × ${s.samples} samples × ${s.maxNewTokens} new tokens, seed ${s.seed}`,
  ]
  if (runner.lastTopicScores)
    lines.push(
      `topic step 1 (last bag): ${runner.lastTopicScores.rescored} of ${runner.lastTopicScores.rows} rows rescored exactly, ${runner.lastTopicScores.ms.toFixed(0)} ms`,
    )
  for (const m of r.summary)
    lines.push(
      `topic strength ${m.strength}: bag mass ${m.bagMass.toExponential(3)}, bag share ${m.bagShare.toFixed(3)}, unedited perplexity ${m.perplexity.toFixed(1)}`,
    )
  for (const t of r.topics) {
    lines.push(
      `topic ${t.topic} (bag ${t.bag.map((b) => JSON.stringify(b.text)).join(' ')}): ${t.results.map((x) => `s${x.strength} mass ${x.bagMass.toExponential(2)} share ${x.bagShare.toFixed(3)} ppl ${x.perplexity.toFixed(0)}`).join('; ')}`,
    )
  }
  return lines
}
