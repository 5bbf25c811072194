import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { openSenseTable, SenseTables, type OpenSenseTableOptions } from '../../../src/main/senses/sense-table'
import { reverseLookup } from '../../../src/main/senses/reverse-lookup'
import { senseNeighbours } from '../../../src/main/senses/sense-neighbours'
import { gpt2Tokenizer } from '../../../src/main/tokenizer/gpt2-tokenizer'
import { floatToHalf, HALF_TO_FLOAT } from '../../../src/main/senses/float16'
import { ArrayEngine } from '../interventions/array-engine'
import { useEngine } from '../generation/engine-fixture'
import { expectExactExtremes } from '../../helpers/exact-extremes'
import { mulberry32 } from '../../helpers/mulberry32'

// reverse lookups score the int8 index in an engine worker (its MatMulInteger session lives there): a real one
const runtime = useEngine('small-bin')

/** Each engine's tables kept in memory, as a model session keeps its own (ModelSession.tables). */
const registries = new WeakMap<ArrayEngine, SenseTables>()
function openTable(engine: ArrayEngine, options: OpenSenseTableOptions) {
  let tables = registries.get(engine)
  if (!tables) registries.set(engine, (tables = new SenseTables(engine)))
  return tables.open(options)
}

const dirs: string[] = []
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'sense-table-'))
  dirs.push(d)
  return d
}
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })))

describe('float16', () => {
  it('round-trips halves and rounds to nearest even', () => {
    for (const x of [0, 1, -2.5, 65504, 6.1e-5, 5.96e-8, 0.1, -1234.5])
      expect(Math.abs(HALF_TO_FLOAT[floatToHalf(x)] - x)).toBeLessThanOrEqual(Math.abs(x) * 2 ** -11 + 2 ** -25)
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
      openTable(engine, {
        dir,
        precision: 'f32',
        chunkTokens: 500,
        signal: controller.signal,
        onProgress: (p) => {
          seen.push(p.done)
          if (p.done >= 1000) controller.abort()
        },
      }),
    ).rejects.toMatchObject({ code: 'cancelled' })
    expect(seen).toEqual([0, 500, 1000])
    const before = engine.calls.senseVectors
    const progress: number[] = []
    await openTable(engine, { dir, precision: 'f32', chunkTokens: 500, onProgress: (p) => progress.push(p.done) })
    expect(engine.calls.senseVectors - before).toBe(4) // 6 chunks, 2 already on disk
    expect(progress[0]).toBe(1000)
    const table = await openTable(engine, { dir, precision: 'f32', chunkTokens: 500, need: 'scores' })
    for (const x of [0, 1700, 2999])
      for (let l = 0; l < k; l++) {
        expect(Array.from(table.sense(x, l))).toEqual(Array.from(engine.C.subarray((x * k + l) * d, (x * k + l + 1) * d)))
        const i = x * k + l
        expectExactExtremes({ max: table.maxScore[i], min: table.minScore[i] }, table.sense(x, l), engine.E, 3000, d)
      }
    const calls = engine.calls.senseVectors
    expect(await openTable(engine, { dir, precision: 'f32', chunkTokens: 500, need: 'scores' })).toBe(table) // in memory
    const twin = new ArrayEngine(3000, 2, 4, 5) // same weights and hash, nothing in memory: reads the disk
    const again = await openTable(twin, { dir, precision: 'f32', chunkTokens: 500, need: 'scores' })
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
      openTable(e, { dir, chunkTokens: 1000 }),
      openTable(e, { dir, chunkTokens: 1000, need: 'scores' }),
      openTable(e, { dir, chunkTokens: 1000 }),
    ])
    expect(a.sense(7, 1)).toEqual(b.sense(7, 1))
    expect(c).toBe(b) // the third waited and found the table in memory
    expectExactExtremes({ max: b.maxScore[7 * 2 + 1], min: b.minScore[7 * 2 + 1] }, b.sense(7, 1), e.E, 3000, 4)
    expect(e.calls.senseVectors).toBe(3) // 3 chunks of senses once; the fp32 table's own vectors give the scores
  })

  it('scores an fp16 table from the exact fp32 vectors in one pass, cancellable and resumable by chunk', async () => {
    const e = new ArrayEngine(2500, 3, 6, 21)
    const dir = tmp()
    const controller = new AbortController()
    const seen: { phase: string; done: number }[] = []
    await expect(
      openTable(e, {
        dir,
        precision: 'f16',
        chunkTokens: 800,
        need: 'scores',
        signal: controller.signal,
        onProgress: (p) => {
          seen.push({ phase: p.phase, done: p.done })
          if (p.done >= 800) controller.abort()
        },
      }),
    ).rejects.toMatchObject({ code: 'cancelled' })
    expect(seen).toEqual([
      { phase: 'scores', done: 0 },
      { phase: 'scores', done: 800 },
    ])
    expect(e.calls.senseVectors).toBe(1) // senses and scores of chunk 0 from one call
    const twin = new ArrayEngine(2500, 3, 6, 21) // nothing in memory: resumes from the disk
    const progress: number[] = []
    const table = await openTable(twin, {
      dir,
      precision: 'f16',
      chunkTokens: 800,
      need: 'scores',
      onProgress: (p) => progress.push(p.done),
    })
    expect(twin.calls.senseVectors).toBe(3) // chunks 1–3 only
    expect(progress[0]).toBe(800)
    expect(progress.at(-1)).toBe(2500)
    for (const x of [0, 799, 800, 1999, 2499])
      for (let l = 0; l < 3; l++) {
        const i = x * 3 + l
        const exact = e.C.subarray(i * 6, (i + 1) * 6) // not the table's fp16-rounded vector
        expectExactExtremes({ max: table.maxScore[i], min: table.minScore[i] }, exact, e.E, 2500, 6)
        let nn = 0
        for (let c = 0; c < 6; c++) nn += exact[c] * exact[c]
        expect(table.norms[i]).toBeCloseTo(Math.sqrt(nn), 5)
        expect(Array.from(table.sense(x, l))).toEqual(Array.from(exact, (v) => HALF_TO_FLOAT[floatToHalf(v)]))
      }
    // a senses-only open of the finished table needs nothing more
    expect(await openTable(twin, { dir, precision: 'f16', chunkTokens: 800 })).toBeDefined()
    expect(twin.calls.senseVectors).toBe(3)
  })

  it('dotAllBounded: float64 dots of the table whose bound covers the exact fp32 senses (fp16: half an ulp per value)', async () => {
    const e = new ArrayEngine(2000, 3, 16, 41)
    for (let i = 0; i < e.C.length; i += 7) e.C[i] *= 1e-6 // some subnormal halves
    const rand = mulberry32(3)
    const vec = Float64Array.from({ length: 16 }, () => rand() * 2 - 1)
    const nv = Math.hypot(...vec)
    for (const precision of ['f16', 'f32'] as const) {
      const table = await openTable(e, { dir: tmp(), chunkTokens: 1000, precision })
      const { dots, bound } = table.dotAllBounded(vec, 1500)
      for (let r = 0; r < 2000 * 3; r++) {
        let exact = 0
        for (let c = 0; c < 16; c++) exact += e.C[r * 16 + c] * vec[c]
        if (r >= 1500 * 3) {
          expect(dots[r]).toBe(0)
          continue
        }
        expect(Math.abs(dots[r] - exact)).toBeLessThanOrEqual(bound[r])
        // never looser than Cauchy–Schwarz on the fp16 rounding, and only rounding slack for fp32
        expect(bound[r]).toBeLessThanOrEqual(nv * (table.norms[r] * 2 ** -11 + 4 * 2 ** -25) * 1.01 + 1e-12)
        if (precision === 'f32') expect(bound[r]).toBeLessThan(1e-12 * (1 + nv * table.norms[r]))
      }
    }
  })

  it('bestRows equals a full scan and skips rows whose norm rules them out', async () => {
    const e = new ArrayEngine(3000, 2, 4, 13)
    // spread the norms: row r scaled by 0.999^r
    for (let r = 0; r < 3000 * 2; r++) for (let c = 0; c < 4; c++) e.C[r * 4 + c] *= 0.999 ** r
    const table = await openTable(e, { dir: tmp(), chunkTokens: 1000, precision: 'f16' })
    const vec = e.E.subarray(40, 44)
    const all = table.dotAll(vec)
    for (const largest of [true, false]) {
      const { rows, scanned } = table.bestRows(vec, 10, largest)
      const want = Array.from(all.keys())
        .sort((a, b) => (largest ? all[b] - all[a] : all[a] - all[b]))
        .slice(0, 10)
      expect(rows.map((r) => all[r])).toEqual(want.map((r) => all[r]))
      expect(scanned).toBeLessThan(3000 * 2)
    }
  })

  it('answers reverse lookups and neighbours like a brute-force scan (fp16 table, exact re-scoring)', async () => {
    const table = await openTable(engine, { dir: tmp(), chunkTokens: 1024, precision: 'f16' })
    expect(table.precision).toBe('f16')
    const target = 1234
    const e = engine.E.subarray(target * d, (target + 1) * d)
    const all: { id: number; sense: number; score: number }[] = []
    for (let x = 0; x < 3000; x++)
      for (let l = 0; l < k; l++) {
        let s = 0
        for (let c = 0; c < d; c++) s += e[c] * engine.C[(x * k + l) * d + c]
        all.push({ id: x, sense: l, score: Math.fround(s) })
      }
    for (const direction of ['boost', 'suppress'] as const) {
      const r = await reverseLookup(engine, table, target, { top: 5, direction, scorer: runtime.engine() })
      const want = [...all].sort((a, b) => (direction === 'boost' ? b.score - a.score : a.score - b.score)).slice(0, 5)
      expect(r.entries.map((x) => x.score)).toEqual(want.map((x) => expect.closeTo(x.score, 5)))
    }
    const n = await senseNeighbours(engine, table, 'the', { top: 5, measure: 1 })
    const id = gpt2Tokenizer().encode(' the')[0]
    const cos = (a: number, b: number, l: number) => {
      let ab = 0,
        aa = 0,
        bb = 0
      for (let c = 0; c < d; c++) {
        const x = engine.C[(a * k + l) * d + c]
        const y = engine.C[(b * k + l) * d + c]
        ab += x * y
        aa += x * x
        bb += y * y
      }
      return ab / Math.sqrt(aa * bb)
    }
    const want = Array.from({ length: 3000 }, (_, x) => x)
      .filter((x) => x !== id)
      .map((x) => cos(id, x, 1))
      .sort((a, b) => b - a)
      .slice(0, 5)
    n.neighbours.forEach((nb, i) => expect(nb.score).toBeCloseTo(want[i], 2))
    expect(n.neighbours.map((x) => x.id)).not.toContain(id)
    const m = await senseNeighbours(engine, table, 'the', { top: 3 })
    for (const nb of m.neighbours) expect(nb.score).toBeCloseTo(Math.min(...nb.perSense!), 6)
  })

  it('an engine worker writes an fp16 table into shared memory with the bits and norms of converting its fp32 vectors here', async () => {
    const real = runtime.engine()
    const { vocabSize: V, numSenses: k, nEmbd: d } = real.config
    // the same engine without senseHalves: the table converts the fp32 senseVectors on this thread
    const plain = { ...real, senseHalves: undefined }
    const seen: number[] = []
    let fp32Calls = 0
    const counted = { ...real, senseVectors: (...a: Parameters<typeof real.senseVectors>) => (fp32Calls++, real.senseVectors(...a)) }
    const dir = tmp()
    const controller = new AbortController()
    const options = { dir, precision: 'f16', chunkTokens: 200 } as const
    const stop = (p: { done: number }) => {
      seen.push(p.done)
      if (p.done >= 200) controller.abort()
    }
    await expect(openSenseTable(counted, { ...options, signal: controller.signal, onProgress: stop })).rejects.toMatchObject({
      code: 'cancelled',
    })
    // resumed by another open: the finished chunk is read back into the shared memory
    const shared = await openSenseTable(counted, { ...options, onProgress: (p) => seen.push(p.done) })
    expect(fp32Calls).toBe(0) // no fp32 vectors came to this thread
    const converted = await openSenseTable(plain, { dir: tmp(), precision: 'f16', chunkTokens: 200 })
    expect(seen).toEqual([0, 200, 200, 400, V])
    expect(shared.norms).toEqual(converted.norms)
    const a = new Float32Array(d)
    const b = new Float32Array(d)
    for (let r = 0; r < V * k; r++) {
      shared.decodeRow(r, a)
      converted.decodeRow(r, b)
      if (!a.every((v, c) => Object.is(v, b[c]))) expect({ row: r, values: Array.from(a) }).toEqual({ row: r, values: Array.from(b) })
    }
    const vecs = await real.senseVectors([5, 511])
    for (let c = 0; c < d; c++) expect(shared.sense(511, 3)[c]).toBe(HALF_TO_FLOAT[floatToHalf(vecs[(k + 3) * d + c])])
    // the halves land in the caller's memory only when it is shared: anything else is refused
    await expect(real.senseHalves([1, 2], new Uint16Array(2 * k * d))).rejects.toMatchObject({ code: 'bad-request' })
    await expect(real.senseHalves([1, 2], new Uint16Array(new SharedArrayBuffer(2 * k * d)))).rejects.toMatchObject({ code: 'bad-request' })
    await expect(real.senseHalves([1, V], new Uint16Array(new SharedArrayBuffer(4 * k * d)))).rejects.toMatchObject({ code: 'bad-request' })
  })
})
