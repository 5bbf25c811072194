import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { loadavg } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { runChild, type PhaseResult } from './bench-common'
import { REPO_ROOT, benchDir } from './full-size-checkpoint'

/**
 * The bundled demo checkpoint (resources/demo-backpack) from a cold start, as a new user meets it:
 * whole processes of the built CLI, each with an empty cache (`BACKPACK_CACHE_DIR` a fresh
 * folder), so each converts the checkpoint, builds what it needs and exits:
 *   - the first reverse lookup: `reverse --token " nurse"` (the whole-vocabulary sense table, then
 *     the lookup);
 *   - the first topic run: `suite topic` with the CLI's defaults (every built-in topic, strengths
 *     0–3, 2 samples of 30 tokens), which first computes the topic scores (exact fp32 max/min of
 *     E·C(x)_ℓ over the vocabulary for every (token, sense)).
 * Wall time from spawn to exit; the children's CPU time (user + system, Linux) and the load
 * average before each run go to the notes: on a shared machine the wall time depends on them.
 */
const CLI = join(REPO_ROOT, 'out', 'cli', 'index.mjs')
const DEMO = join(REPO_ROOT, 'resources', 'demo-backpack')

/** user and system seconds of this process's waited-for children (/proc/self/stat), or null off Linux. */
function childrenCpu(): { user: number; system: number } | null {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8')
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ') // fields from 3 (state) on
    const tick = 100 // USER_HZ on Linux
    return { user: Number(f[13]) / tick, system: Number(f[14]) / tick } // cutime, cstime (fields 16, 17)
  } catch {
    return null
  }
}

async function coldRun(args: string[], log: (line: string) => void): Promise<{ ms: number; stdout: string; cpu: string; load: string }> {
  const cache = mkdtempSync(join(benchDir(), 'demo-cache-'))
  const load = loadavg()
    .map((x) => x.toFixed(2))
    .join(', ')
  log(`demo, cold cache: ${args[0]} (load average ${load}) …`)
  const before = childrenCpu()
  const t0 = performance.now()
  try {
    const stdout = await runChild(process.execPath, [CLI, ...args], { ...process.env, BACKPACK_CACHE_DIR: cache })
    const ms = performance.now() - t0
    const after = childrenCpu()
    const cpu =
      before && after ? `${(after.user - before.user).toFixed(1)} s user + ${(after.system - before.system).toFixed(1)} s system` : 'n/a'
    return { ms, stdout, cpu, load }
  } finally {
    rmSync(cache, { recursive: true, force: true })
  }
}

export async function demoPhase(log: (line: string) => void): Promise<PhaseResult> {
  const figures: PhaseResult['figures'] = {}
  const notes: string[] = []
  log('built CLI: build if stale …')
  await runChild(process.execPath, [join(REPO_ROOT, 'tools/cli/build-cli.mjs'), '--if-stale'])

  const rev = await coldRun(['reverse', '--checkpoint', DEMO, '--token', ' nurse'], log)
  figures.demoReverseColdMs = rev.ms
  const t = (JSON.parse(rev.stdout) as { timingsMs: Record<string, number> }).timingsMs
  const parts = Object.entries(t)
    .map(([k, v]) => `${k} ${(v / 1000).toFixed(2)} s`)
    .join(', ')
  notes.push(
    `demo reverse (cold): ${(rev.ms / 1000).toFixed(2)} s wall, ${rev.cpu}, load average ${rev.load}; in-process: ${parts}; the rest is Node start, conversion and opening the model`,
  )

  const topic = await coldRun(['suite', 'topic', '--checkpoint', DEMO, '--no-texts'], log)
  figures.demoTopicColdMs = topic.ms
  const r = JSON.parse(topic.stdout) as { topics: unknown[]; settings: { strengths: number[]; samples: number; maxNewTokens: number } }
  notes.push(
    `demo topic suite (cold): ${(topic.ms / 1000).toFixed(1)} s wall, ${topic.cpu}, load average ${topic.load}; ${r.topics.length} topics × strengths ${r.settings.strengths.join('/')} × ${r.settings.samples} samples × ${r.settings.maxNewTokens} tokens`,
  )
  return { phase: 'demo', figures, notes }
}

// `tsx tools/bench/demo-phase.ts`: this phase alone, its result printed as JSON
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const log = (line: string) => process.stderr.write(`[bench] ${line}\n`)
  process.stdout.write(JSON.stringify(await demoPhase(log), null, 2) + '\n')
}
