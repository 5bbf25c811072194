import { mkdtempSync, rmSync, statSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { compareExperiments } from '../../src/main/store/compare-experiments'
import { validateEdits } from '../../src/main/store/edit-document'
import { ExperimentStore } from '../../src/main/store/experiment-store'
import { insertExperimentTx } from '../../src/main/store/experiment-writes'
import { insertRunTx } from '../../src/main/store/run-rows'
import type { SenseEditDocument } from '../../src/shared/edits/sense-edits'
import type { NewRun } from '../../src/shared/store/experiment-types'

/**
 * Experiment store at scale (not a test): 10,000 experiments × 10 predict runs = 100,000 runs
 * shaped like the engine runner's (top-10, per-token log-probs in JSON and as a float32 blob),
 * then the time to list a page, search, and compare 10 experiments from stored runs, and the
 * database size. Prints one JSON document (and a BENCH_RESULT line for tools/bench/index.ts).
 *
 *   npx tsx tools/bench/store-bench.ts [--experiments 10000] [--runs-per 10] [--keep]
 */
const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`)
  return i > 0 ? Number(process.argv[i + 1]) : fallback
}
const N_EXP = arg('experiments', 10_000)
const RUNS_PER = arg('runs-per', 10)
const REPEATS = 7
const WORDS = ['nurse', 'doctor', 'teacher', 'engineer', 'pilot', 'chef', 'lawyer', 'artist', 'farmer', 'writer', 'banker', 'singer']
const PROMPTS = Array.from({ length: 40 }, (_, i) => `The ${WORDS[i % WORDS.length]} said that prompt ${i} was`)

let seed = 12345
const rand = () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32
const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)]

function edits(i: number): SenseEditDocument {
  const n = 1 + (i % 3)
  return {
    format: 'backpack-sense-edits',
    version: 1,
    edits: Array.from({ length: n }, (_, j) => ({
      kind: 'scale-sense' as const,
      token: ` ${WORDS[(i + j) % WORDS.length]}`,
      sense: (i + j) % 16,
      factor: Math.round(rand() * 20) / 10,
    })),
  }
}

function run(prompt: string): NewRun {
  const n = 12
  const lps = Float32Array.from({ length: n - 1 }, () => -rand() * 8)
  const topk = Array.from({ length: 10 }, (_, k) => ({
    id: Math.floor(rand() * 50257),
    token: ` ${pick(WORDS)}`,
    prob: 0.3 / (k + 1),
    logit: 10 - k,
  }))
  return {
    kind: 'predict',
    inputs: { text: prompt, ids: Array.from({ length: n }, () => Math.floor(rand() * 50257)) },
    settings: { topK: 10 },
    outputs: {
      topk,
      logProbs: Array.from(lps, (logProb, p) => ({
        position: p + 1,
        id: Math.floor(rand() * 50257),
        token: ` ${pick(WORDS)}`,
        logProb,
        rank: 1 + Math.floor(rand() * 100),
      })),
    },
    metrics: { top1Prob: topk[0].prob, meanLogProb: lps.reduce((a, b) => a + b, 0) / lps.length },
    blobs: { logProbs: { dtype: 'float32', shape: [lps.length], data: lps } },
    timingsMs: { total: 20 + rand() * 10 },
    appVersion: '0.1.0',
    runtimeVersion: 'onnxruntime-node 1.30.0',
    executionProvider: 'cpu',
    checkpoint: 'ab'.repeat(32),
  }
}

async function time(fn: () => Promise<unknown>): Promise<{ firstMs: number; medianMs: number }> {
  const ms: number[] = []
  for (let i = 0; i < REPEATS; i++) {
    const t = performance.now()
    await fn()
    ms.push(performance.now() - t)
  }
  const sorted = [...ms].sort((a, b) => a - b)
  return { firstMs: round(ms[0]), medianMs: round(sorted[sorted.length >> 1]) }
}
const round = (x: number) => Math.round(x * 100) / 100

const dir = mkdtempSync(join(tmpdir(), 'store-bench-'))
const path = join(dir, 'experiments.sqlite')
try {
  const store = await ExperimentStore.open(path)
  const t0 = performance.now()
  const ids: number[] = []
  for (let start = 0; start < N_EXP; start += 250) {
    await store.database.transaction(async (tx) => {
      for (let i = start; i < Math.min(N_EXP, start + 250); i++) {
        const now = Date.UTC(2026, 0, 1) + i * 60_000
        const tags = [pick(['bias', 'topic', 'knowledge', 'ablation']), `batch${i % 50}`]
        const notes = `run ${i}: ${pick(WORDS)} ${pick(WORDS)} ${i % 100 === 0 ? 'serendipitous' : 'routine'} observation`
        const id = await insertExperimentTx(
          tx,
          {
            name: `experiment ${i} ${pick(WORDS)}`,
            notes,
            tags,
            folder: '',
            parentId: null,
            checkpointHash: 'ab'.repeat(32),
            createdAt: now,
            updatedAt: now,
          },
          validateEdits(edits(i)),
        )
        ids.push(id)
        for (let r = 0; r < RUNS_PER; r++) await insertRunTx(tx, id, run(PROMPTS[r % PROMPTS.length]), edits(i), now + r)
      }
    })
  }
  const populateMs = performance.now() - t0

  const listPage = await time(() => store.list({ limit: 50 }))
  const listFiltered = await time(() => store.list({ tags: ['bias'], token: 'nurse', limit: 50, offset: 100 }))
  const searchRare = await time(() => store.search('serendipitous', { limit: 50 }))
  const searchCommon = await time(() => store.search('nurse', { limit: 50 }))
  const ten = ids.slice(0, 10)
  const compare10 = await time(() => compareExperiments(store, ten))
  const compared = await compareExperiments(store, ten)
  await store.database.get('PRAGMA wal_checkpoint(TRUNCATE)')
  const size = statSync(path).size + (existsSync(path + '-wal') ? statSync(path + '-wal').size : 0)
  const counts = await store.database.get<{ e: number; r: number }>(
    'SELECT (SELECT count(*) FROM experiments) AS e, (SELECT count(*) FROM runs) AS r',
  )
  await store.close()

  const result = {
    experiments: counts?.e,
    runs: counts?.r,
    populateSeconds: round(populateMs / 1000),
    listPageMs: listPage,
    listFilteredPageMs: listFiltered,
    searchRareWordMs: searchRare,
    searchCommonWordMs: searchCommon,
    compare10Ms: compare10,
    compare10Shape: { edits: compared.edits.length, outputs: compared.outputs.length, metrics: compared.metrics.length },
    databaseMb: round(size / 2 ** 20),
    bytesPerRun: Math.round(size / (counts?.r || 1)),
    repeats: REPEATS,
    targets: { listPageMs: 50, searchMs: 100, compare10Ms: 200 },
  }
  process.stdout.write(JSON.stringify(result, null, 2) + '\n')
  const figures = {
    listPageMs: listPage.medianMs,
    searchMs: Math.max(searchRare.medianMs, searchCommon.medianMs),
    compare10Ms: compare10.medianMs,
    databaseMb: result.databaseMb,
  }
  process.stdout.write(
    `BENCH_RESULT ${JSON.stringify({ phase: 'store', figures, notes: [`store: ${counts?.e} experiments, ${counts?.r} runs, populated in ${result.populateSeconds} s; ${result.bytesPerRun} bytes per run`] })}\n`,
  )
} finally {
  if (!process.argv.includes('--keep')) rmSync(dir, { recursive: true, force: true })
  else process.stderr.write(`kept ${path}\n`)
}
