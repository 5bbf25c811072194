import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ensureFullSizeCheckpoint, referencePython, REPO_ROOT } from '../../tools/bench/full-size-checkpoint'
import { describeTopicSuite, openTopicTable, smallTopicSuite, SMALL_TOPIC_SUITE, topicTableDir } from '../../tools/bench/topic-phase'
import { openEngine } from '../../src/main/runtime/open-engine'
import type { WorkerEngine } from '../../src/main/runtime/worker-engine'
import type { SenseTable } from '../../src/main/senses/sense-table'

// Issue 4: topic control at full size. The whole-vocabulary max/min of E·C(x)_ℓ (exact fp32,
// ~6 min on the 2-core box, once per checkpoint) is built into the bench's topic table folder
// (tools/bench/topic-phase.ts: kept between runs, resumed if interrupted; `npm run bench` uses the
// same one), checked against the PyTorch reference (float64) on a prefix of tokens — or on the
// whole vocabulary when BACKPACK_TOPIC_REFERENCE names an .npz from
// tools/reference/sense_extremes.py run elsewhere (a GPU: seconds) for the same weights — then the
// small topic suite runs end to end and prints its figures (random weights: they say nothing about
// the paper's).
describe('full-size topic control', () => {
  let engine: WorkerEngine
  let table: SenseTable
  const scratch = mkdtempSync(join(tmpdir(), 'full-size-topic-'))

  beforeAll(async () => {
    engine = await openEngine({ checkpointDir: ensureFullSizeCheckpoint((l) => console.log(l)).dir })
    const opened = await openTopicTable(engine)
    table = opened.table
    console.log(
      `topic table (${topicTableDir(engine)}): opened in ${(opened.openMs / 1000).toFixed(1)} s; ${opened.built ? `built ${opened.built.fromScratch ? 'from scratch' : '(resumed)'} in ${(opened.built.ms / 1000).toFixed(0)} s` : `recorded build ${opened.recorded ? `${(opened.recorded.ms / 1000).toFixed(0)} s at ${opened.recorded.at}` : 'unknown'}`}`,
    )
  })

  afterAll(async () => {
    await engine?.dispose()
    rmSync(scratch, { recursive: true, force: true })
  })

  it('max/min of every sense score vector equal the PyTorch reference (float64) to fp32 rounding', () => {
    const { vocabSize: V, numSenses: k } = engine.config
    const given = process.env.BACKPACK_TOPIC_REFERENCE
    const npz = given ?? join(scratch, 'reference.npz')
    // the local weights' hash (--tokens 0: hash only), to match a given .npz to these weights
    const local = join(scratch, 'local.npz')
    execFileSync(
      referencePython(),
      [
        join(REPO_ROOT, 'tools/reference/sense_extremes.py'),
        '--checkpoint',
        ensureFullSizeCheckpoint().dir,
        '--out',
        given ? local : npz,
        '--tokens',
        given ? '0' : '128',
        '--batch',
        '32',
      ],
      { stdio: ['ignore', 'inherit', 'inherit'] },
    )
    // compare in numpy: the reference's rows (NaN beyond --tokens) against stats.bin planes 1–2
    const script = `
import json, sys, numpy as np
ref = np.load(sys.argv[1]); V, k = ${V}, ${k}
ours = np.fromfile(sys.argv[2], dtype='<f4', count=3 * V * k).reshape(3, V, k)
out = {}
for i, name in ((1, 'max'), (2, 'min')):
    r = ref[name]; m = ~np.isnan(r); o = ours[i].astype(np.float64)
    scale = np.maximum(np.abs(ref['max']), np.abs(ref['min']))
    out[name] = {'rows': int(m.sum()), 'maxAbs': float(np.abs(o - r)[m].max()), 'maxRel': float((np.abs(o - r) / scale)[m].max())}
out['sha'] = str(ref['weights_sha256'])
out['localSha'] = str(np.load(sys.argv[3])['weights_sha256'])
print(json.dumps(out))`
    const res = JSON.parse(
      execFileSync(referencePython(), ['-c', script, npz, join(table.dir, 'stats.bin'), given ? local : npz], { encoding: 'utf8' })
        .trim()
        .split('\n')
        .pop() as string,
    ) as Record<'max' | 'min', { rows: number; maxAbs: number; maxRel: number }> & { sha: string; localSha: string }
    console.log(`topic scores vs PyTorch float64 (${given ? 'given .npz' : '128 tokens on the CPU'}): ${JSON.stringify(res)}`)
    // a given .npz must come from these weights (E and the sense network, hashed the same way)
    expect(res.sha).toBe(res.localSha)
    for (const name of ['max', 'min'] as const) {
      expect(res[name].rows).toBeGreaterThanOrEqual(128 * k)
      // fp32 sense network + fp32 GEMM of length 768 against float64: measured ~1e-7 relative
      expect(res[name].maxRel).toBeLessThan(1e-5)
    }
  })

  it('runs the small topic suite end to end (2 topics × strengths 0–2 × 2 samples × 20 new tokens)', async () => {
    const { result, ms, runner } = await smallTopicSuite(engine, table)
    console.log(`topic suite (full size, ${(ms / 1000).toFixed(1)} s):\n${describeTopicSuite(result, runner).join('\n')}`)
    expect(result.topics.map((t) => t.topic)).toEqual(SMALL_TOPIC_SUITE.topics)
    for (const t of result.topics) {
      expect(t.bag.length).toBeGreaterThan(0)
      expect(t.results.map((r) => r.strength)).toEqual([...SMALL_TOPIC_SUITE.strengths])
      for (const r of t.results) {
        expect(r.generatedTokens).toBeGreaterThan(0)
        expect(r.bagMass).toBeGreaterThan(0)
        expect(Number.isFinite(r.perplexity)).toBe(true)
      }
    }
    expect(runner.lastTopicScores?.rows).toBe(engine.config.vocabSize * engine.config.numSenses)
  })
})
