import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { openSenseTable } from '../../../src/main/senses/sense-table'
import { reverseLookup } from '../../../src/main/senses/reverse-lookup'
import { senseNeighbours } from '../../../src/main/senses/sense-neighbours'
import { gpt2Tokenizer } from '../../../src/main/tokenizer/gpt2-tokenizer'
import { floatToHalf, HALF_TO_FLOAT } from '../../../src/main/senses/float16'
import { ArrayEngine } from '../interventions/array-engine'

const dirs: string[] = []
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'sense-table-'))
  dirs.push(d)
  return d
}
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })))

describe('float16', () => {
  it('round-trips halves and rounds to nearest even', () => {
    for (const x of [0, 1, -2.5, 65504, 6.1e-5, 5.96e-8, 0.1, -1234.5]) expect(Math.abs(HALF_TO_FLOAT[floatToHalf(x)] - x)).toBeLessThanOrEqual(Math.abs(x) * 2 ** -11 + 2 ** -25)
    expect(HALF_TO_FLOAT[floatToHalf(1 + 2 ** -11)]).toBe(1) // tie → even
    expect(HALF_TO_FLOAT[floatToHalf(1e6)]).toBe(Infinity)
  })
})

describe('openSenseTable', () => {
  const engine = new ArrayEngine(3000, 2, 4, 5)
  const { numSenses: k, nEmbd: d } = engine.config

  it('builds with progress, is cancellable, resumes only the missing chunks, and reloads from disk', async () => {
    const dir = tmp()
    const controller = new AbortController()
    const seen: number[] = []
    await expect(
      openSenseTable(engine, { dir, precision: 'f32', chunkTokens: 500, signal: controller.signal, onProgress: (p) => {
        seen.push(p.done)
        if (p.done >= 1000) controller.abort()
      } }),
    ).rejects.toMatchObject({ code: 'cancelled' })
    expect(seen).toEqual([0, 500, 1000])
    const before = engine.calls.senseVectors
    const progress: number[] = []
    await openSenseTable(engine, { dir, precision: 'f32', chunkTokens: 500, onProgress: (p) => progress.push(p.done) })
    expect(engine.calls.senseVectors - before).toBe(4) // 6 chunks, 2 already on disk
    expect(progress[0]).toBe(1000)
    const table = await openSenseTable(engine, { dir, precision: 'f32', chunkTokens: 500, need: 'scores' })
    for (const x of [0, 1700, 2999]) for (let l = 0; l < k; l++) {
      expect(Array.from(table.sense(x, l))).toEqual(Array.from(engine.C.subarray((x * k + l) * d, (x * k + l + 1) * d)))
      const scores = await engine.project(table.sense(x, l), 1)
      expect(table.maxScore[x * k + l]).toBe(Math.max(...scores))
      expect(table.minScore[x * k + l]).toBe(Math.min(...scores))
    }
    const calls = engine.calls.senseVectors
    expect(await openSenseTable(engine, { dir, precision: 'f32', chunkTokens: 500, need: 'scores' })).toBe(table) // in memory
    const twin = new ArrayEngine(3000, 2, 4, 5) // same weights and hash, nothing in memory: reads the disk
    const again = await openSenseTable(twin, { dir, precision: 'f32', chunkTokens: 500, need: 'scores' })
    expect(engine.calls.senseVectors).toBe(calls)
    expect(twin.calls.senseVectors).toBe(0)
    expect(again).not.toBe(table)
    expect(again.maxScore).toEqual(table.maxScore)
    expect(Array.from(again.sense(123, 1))).toEqual(Array.from(table.sense(123, 1)))
  })

  it('serialises concurrent opens of one directory: senses then scores share one table', async () => {
    const e = new ArrayEngine(3000, 2, 4, 9)
    const dir = tmp()
    const [a, b, c] = await Promise.all([
      openSenseTable(e, { dir, chunkTokens: 1000 }),
      openSenseTable(e, { dir, chunkTokens: 1000, need: 'scores' }),
      openSenseTable(e, { dir, chunkTokens: 1000 }),
    ])
    expect(a.sense(7, 1)).toEqual(b.sense(7, 1))
    expect(c).toBe(b) // the third waited and found the table in memory
    expect(b.maxScore[7 * 2 + 1]).toBe(Math.max(...(await e.project(b.sense(7, 1), 1))))
    expect(e.calls.senseVectors).toBe(3 + 3 * Math.ceil(1000 / 16)) // 3 chunks of senses once, then the scores batches of 16 tokens
  })

  it('bestRows equals a full scan and skips rows whose norm rules them out', async () => {
    const e = new ArrayEngine(3000, 2, 4, 13)
    // spread the norms: row r scaled by 0.999^r
    for (let r = 0; r < 3000 * 2; r++) for (let c = 0; c < 4; c++) e.C[r * 4 + c] *= 0.999 ** r
    const table = await openSenseTable(e, { dir: tmp(), chunkTokens: 1000, precision: 'f16' })
    const vec = e.E.subarray(40, 44)
    const all = table.dotAll(vec)
    for (const largest of [true, false]) {
      const { rows, scanned } = table.bestRows(vec, 10, largest)
      const want = Array.from(all.keys()).sort((a, b) => (largest ? all[b] - all[a] : all[a] - all[b])).slice(0, 10)
      expect(rows.map((r) => all[r])).toEqual(want.map((r) => all[r]))
      expect(scanned).toBeLessThan(3000 * 2)
    }
  })

  it('answers reverse lookups and neighbours like a brute-force scan (fp16 table, exact re-scoring)', async () => {
    const table = await openSenseTable(engine, { dir: tmp(), chunkTokens: 1024, precision: 'f16' })
    expect(table.precision).toBe('f16')
    const target = 1234
    const e = engine.E.subarray(target * d, (target + 1) * d)
    const all: { id: number; sense: number; score: number }[] = []
    for (let x = 0; x < 3000; x++) for (let l = 0; l < k; l++) {
      let s = 0
      for (let c = 0; c < d; c++) s += e[c] * engine.C[(x * k + l) * d + c]
      all.push({ id: x, sense: l, score: Math.fround(s) })
    }
    for (const direction of ['boost', 'suppress'] as const) {
      const r = await reverseLookup(engine, table, target, { top: 5, direction })
      const want = [...all].sort((a, b) => (direction === 'boost' ? b.score - a.score : a.score - b.score)).slice(0, 5)
      expect(r.entries.map((x) => x.score)).toEqual(want.map((x) => expect.closeTo(x.score, 5)))
    }
    const n = await senseNeighbours(engine, table, 'the', { top: 5, measure: 1 })
    const id = gpt2Tokenizer().encode(' the')[0]
    const cos = (a: number, b: number, l: number) => {
      let ab = 0, aa = 0, bb = 0
      for (let c = 0; c < d; c++) {
        const x = engine.C[(a * k + l) * d + c]
        const y = engine.C[(b * k + l) * d + c]
        ab += x * y; aa += x * x; bb += y * y
      }
      return ab / Math.sqrt(aa * bb)
    }
    const want = Array.from({ length: 3000 }, (_, x) => x).filter((x) => x !== id).map((x) => cos(id, x, 1)).sort((a, b) => b - a).slice(0, 5)
    n.neighbours.forEach((nb, i) => expect(nb.score).toBeCloseTo(want[i], 2))
    expect(n.neighbours.map((x) => x.id)).not.toContain(id)
    const m = await senseNeighbours(engine, table, 'the', { top: 3 })
    for (const nb of m.neighbours) expect(nb.score).toBeCloseTo(Math.min(...nb.perSense!), 6)
  })
})
