import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { NewRun } from '../../src/shared/store/experiment-types'
import { PHASE_RESULT_PREFIX, timed, type PhaseResult } from './bench-common'

/**
 * The experiment store at scale (issue 5): `tsx tools/bench/store-phase.ts [experiments] [runsEach]`
 * seeds a fresh database with 10,000 experiments × 10 runs (= 100,000) through the store's public
 * API — experiments with `save`, runs with the store's own insert inside batched transactions so
 * seeding takes minutes, not hours — then times listing a page, a full-text search and comparing
 * 10 experiments (from stored runs), and reports the file size. Prints `BENCH_RESULT {json}`.
 */
const NOUNS = ['nurse', 'developer', 'MacBook', 'science', 'Apple', 'teacher', 'mechanic', 'Brady', 'Obama', 'pizza']
const VERBS = ['ablate', 'scale', 'edit', 'swap', 'boost', 'damp']

function run(i: number, prompt: number): NewRun {
  const ids = [464, 15849 + (prompt % 7), 6807, 656, 262, 2119, 11]
  return {
    kind: 'predict',
    inputs: { text: `The ${NOUNS[prompt % NOUNS.length]} walked into the room, prompt ${prompt}`, ids },
    settings: { topK: 10 },
    outputs: {
      top: [
        { id: 673, text: ' she', prob: 0.2 + (i % 10) / 100 },
        { id: 339, text: ' he', prob: 0.1 },
      ],
    },
    metrics: { heShe: 1 + (i % 13) / 10, top1Prob: 0.2 + (i % 10) / 100 },
    appVersion: '0.1.0',
    runtimeVersion: 'onnxruntime-node 1.30.0',
    executionProvider: 'cpu',
    checkpoint: null,
  }
}

async function main(): Promise<void> {
  const experiments = Number(process.argv[2] ?? 10_000)
  const runsEach = Number(process.argv[3] ?? 10)
  const { ExperimentStore } = await import('../../src/main/store/experiment-store')
  const { insertRunTx } = await import('../../src/main/store/run-rows')
  const { compareExperiments } = await import('../../src/main/store/compare-experiments')
  const dir = mkdtempSync(join(tmpdir(), 'backpack-store-bench-'))
  const path = join(dir, 'experiments.sqlite')
  const figures: PhaseResult['figures'] = {}
  const notes: string[] = []
  const store = await ExperimentStore.open(path)
  try {
    const t0 = performance.now()
    const ids: number[] = []
    for (let i = 0; i < experiments; i++) {
      const noun = NOUNS[i % NOUNS.length]
      const e = await store.save({
        name: `${VERBS[i % VERBS.length]} ${noun} sense ${i % 16} #${i}`,
        notes: `bench experiment ${i}: ${VERBS[(i >> 3) % VERBS.length]} the ${noun} senses`,
        tags: [`t${i % 20}`, noun],
        edits: {
          format: 'backpack-sense-edits',
          version: 1,
          edits: [{ kind: 'scale-sense', token: 15849 + (i % 50), sense: i % 16, factor: (i % 10) / 10 }],
        },
      })
      ids.push(e.id)
    }
    const t1 = performance.now()
    const batch = 200 // experiments per transaction
    for (let b = 0; b < ids.length; b += batch) {
      const slice = ids.slice(b, b + batch)
      await store.database.transaction(async (tx) => {
        for (const [j, id] of slice.entries()) {
          const exp = b + j
          for (let r = 0; r < runsEach; r++)
            await insertRunTx(tx, id, run(exp * runsEach + r, r), { format: 'backpack-sense-edits', version: 1, edits: [] })
        }
      }, 'bench seeding')
    }
    const t2 = performance.now()
    figures.seedExperimentsMs = t1 - t0
    figures.seedRunsMs = t2 - t1
    notes.push(
      `store: seeded ${experiments} experiments in ${((t1 - t0) / 1000).toFixed(1)} s and ${experiments * runsEach} runs in ${((t2 - t1) / 1000).toFixed(1)} s`,
    )

    let page = 0
    figures.listPageMs = await timed(() => store.list({ limit: 50, offset: 50 * (page++ % 100), sort: 'updated', order: 'desc' }), 7)
    const queries = ['nurse', 'ablate developer', 'MacBook', 'science sense', 'boost teacher', 'Brady']
    let q = 0
    figures.searchMs = await timed(() => store.search(queries[q++ % queries.length], { limit: 50 }), 7)
    let c = 0
    figures.compare10Ms = await timed(() => {
      const start = (c++ * 997) % (ids.length - 10)
      return compareExperiments(store, ids.slice(start, start + 10))
    }, 5)
  } finally {
    await store.close()
    const size = [path, `${path}-wal`, `${path}-shm`].filter(existsSync).reduce((a, p) => a + statSync(p).size, 0)
    figures.databaseMb = size / 2 ** 20
    rmSync(dir, { recursive: true, force: true })
  }
  figures.peakRssMb = process.resourceUsage().maxRSS / 1024
  process.stdout.write(`${PHASE_RESULT_PREFIX}${JSON.stringify({ phase: 'store', figures, notes } satisfies PhaseResult)}\n`)
}

await main()
