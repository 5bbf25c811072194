import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { exactBestRows, fullScanBestRows } from '../../../src/main/senses/exact-best-rows'
import { Int8SenseIndex, int8Index } from '../../../src/main/senses/int8-index'
import { reverseLookup } from '../../../src/main/senses/reverse-lookup'
import { openSenseTable } from '../../../src/main/senses/sense-table'
import { mulberry32 } from '../../helpers/mulberry32'
import { ArrayEngine } from '../interventions/array-engine'
import { useEngine } from '../generation/engine-fixture'

// the int8 index scores in an engine worker (its MatMulInteger session lives there): a real one
const runtime = useEngine('small-bin')
const scorer = () => runtime.engine()

const dirs: string[] = []
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'exact-best-rows-'))
  dirs.push(d)
  return d
}
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })))

describe('exactBestRows (int8 index through onnxruntime MatMulInteger, exact re-scoring)', () => {
  it.each(['f16', 'f32'] as const)('returns the same rows in the same order as the full table scan (%s table)', async (precision) => {
    const e = new ArrayEngine(3000, 4, 24, 21)
    // uneven rows: spread norms, a few duplicated rows (ties), a zero row
    for (let r = 0; r < 3000 * 4; r++) for (let c = 0; c < 24; c++) e.C[r * 24 + c] *= 1 + (r % 7) * 0.3
    for (const [dst, src] of [
      [5, 900],
      [6, 900],
      [11, 4000],
    ])
      e.C.copyWithin(dst * 24, src * 24, (src + 1) * 24)
    e.C.fill(0, 77 * 24, 78 * 24)
    const table = await openSenseTable(e, { dir: tmp(), chunkTokens: 700, precision })
    const index = await Int8SenseIndex.build(table, scorer())
    const rand = mulberry32(3)
    const queries = [
      e.E.subarray(900 * 24, 901 * 24),
      e.E.subarray(17 * 24, 18 * 24),
      Float32Array.from({ length: 24 }, () => rand() * 4 - 2),
      new Float32Array(24),
    ]
    for (const vec of queries)
      for (const largest of [true, false])
        for (const [count, tokens] of [
          [1, 3000],
          [10, 3000],
          [40, 2500],
        ]) {
          const want = table.bestRows(vec, count, largest, tokens)
          const got = await exactBestRows(table, index, vec, count, largest, tokens)
          expect(got.rows).toEqual(want.rows)
        }
  })

  it.each(['f16', 'f32'] as const)('fullScanBestRows returns the same rows in the same order as bestRows (%s table)', async (precision) => {
    const e = new ArrayEngine(3000, 4, 24, 23)
    // spread norms, duplicated rows (exact ties, also across tokens), a zero row
    for (let r = 0; r < 3000 * 4; r++) for (let c = 0; c < 24; c++) e.C[r * 24 + c] *= 1 + (r % 5) * 0.4
    for (const [dst, src] of [
      [5, 900],
      [6, 900],
      [2001, 900],
      [11, 4000],
    ])
      e.C.copyWithin(dst * 24, src * 24, (src + 1) * 24)
    e.C.fill(0, 77 * 24, 78 * 24)
    const table = await openSenseTable(e, { dir: tmp(), chunkTokens: 700, precision })
    const rand = mulberry32(8)
    const queries = [e.E.subarray(900 * 24, 901 * 24), Float32Array.from({ length: 24 }, () => rand() * 4 - 2), new Float32Array(24)]
    // (C rows 900, 5, 6 and 2001 are one vector: a query along it ties them at the top)
    queries.push(e.C.subarray(900 * 24, 901 * 24))
    for (const vec of queries)
      for (const largest of [true, false])
        for (const [count, tokens] of [
          [1, 3000],
          [3, 3000],
          [10, 3000],
          [40, 2500],
        ]) {
          const want = table.bestRows(vec, count, largest, tokens)
          const got = fullScanBestRows(table, vec, count, largest, tokens)
          expect(got.rows).toEqual(want.rows)
          expect(got.scanned).toBe(tokens * 4)
        }
  })

  it('bounds hold: every approximate score is within its bound of the exact table score', async () => {
    const e = new ArrayEngine(500, 3, 16, 5)
    const table = await openSenseTable(e, { dir: tmp(), chunkTokens: 256, precision: 'f16' })
    const index = await Int8SenseIndex.build(table, scorer())
    const vec = e.E.subarray(10 * 16, 11 * 16)
    const { approx, bound } = await index.scores(vec)
    expect(index.weightsFrom).toBe('written') // never saved: q is written out for the session
    let tight = 0
    for (let r = 0; r < 1500; r++) {
      const x = table.rowDot(r, vec)
      expect(Math.abs(x - approx[r])).toBeLessThanOrEqual(bound[r])
      if (bound[r] < 0.05 * Math.abs(table.norms[r])) tight++
    }
    expect(tight).toBe(1500) // the bound is useful: well under 5% of ‖C‖·1 for unit-range embeddings
  })

  it('reverseLookup gives the same entries through the index and through the table scan', async () => {
    const e = new ArrayEngine(3000, 2, 4, 13)
    const table = await openSenseTable(e, { dir: tmp(), chunkTokens: 1000, precision: 'f16' })
    for (const direction of ['boost', 'suppress'] as const)
      for (const target of [3, 1234, 2999]) {
        const a = await reverseLookup(e, table, target, { top: 7, direction, scorer: scorer() })
        const b = await reverseLookup(e, table, target, { top: 7, direction, scan: 'table' })
        expect(a.entries).toEqual(b.entries)
      }
  })

  it('reverseLookup on a small fp32 table scans it in full by default: the same entries as the table scan, no int8 index', async () => {
    const e = new ArrayEngine(3000, 2, 4, 15)
    const table = await openSenseTable(e, { dir: tmp(), chunkTokens: 1000, precision: 'f32' })
    for (const direction of ['boost', 'suppress'] as const)
      for (const target of [3, 1234, 2999]) {
        const a = await reverseLookup(e, table, target, { top: 7, direction }) // ArrayEngine has no int8 scorer: the index cannot be used
        const b = await reverseLookup(e, table, target, { top: 7, direction, scan: 'table' })
        expect(a.entries).toEqual(b.entries)
        expect(a.scanned).toBe(3000 * 2)
      }
    expect(table.int8).toBeUndefined()
  })

  it('saves the index next to the table and reads it back for the same table manifest only', async () => {
    const dir = tmp()
    const e = new ArrayEngine(301, 3, 12, 9) // rows·d_model = 10836 bytes: the float64 parts are not 8-aligned in the file
    const table = await openSenseTable(e, { dir, chunkTokens: 128, precision: 'f16' })
    const built = await int8Index(table, scorer())
    expect(await int8Index(table, scorer())).toBe(built) // kept with the table
    const stamp = readFileSync(join(dir, 'manifest.json'), 'utf8')
    const loaded = await Int8SenseIndex.load(dir, stamp, 301 * 3, 12, scorer())
    expect(loaded).toBeDefined()
    expect(Array.from(await loaded!.quantised())).toEqual(Array.from(await built.quantised()))
    for (const key of ['scale', 'err', 'qNorm', 'rowSum'] as const) expect(Array.from(loaded![key])).toEqual(Array.from(built[key]))
    expect(await Int8SenseIndex.load(dir, stamp + ' ', 301 * 3, 12, scorer())).toBeUndefined() // another table build
    expect(await Int8SenseIndex.load(dir, stamp, 301 * 3, 16, scorer())).toBeUndefined()
    expect(await Int8SenseIndex.load(tmp(), stamp, 301 * 3, 12, scorer())).toBeUndefined()
  })

  it('scores from a loaded index equal those of the built one, also when int8-index.bin was replaced before its session opened; no session files stay behind', async () => {
    const dir = tmp()
    const e = new ArrayEngine(400, 3, 20, 17)
    const table = await openSenseTable(e, { dir, chunkTokens: 128, precision: 'f16' })
    const stamp = readFileSync(join(dir, 'manifest.json'), 'utf8')
    const built = await Int8SenseIndex.build(table, scorer())
    await built.save(dir, stamp)
    const loaded = (await Int8SenseIndex.load(dir, stamp, 400 * 3, 20, scorer()))!
    const stale = (await Int8SenseIndex.load(dir, stamp, 400 * 3, 20, scorer()))!
    const vec = e.E.subarray(33 * 20, 34 * 20)
    const want = await built.scores(vec)
    expect(await loaded.scores(vec)).toEqual(want)
    expect([built.weightsFrom, loaded.weightsFrom]).toEqual(['linked', 'linked']) // the file each wrote or read, unchanged
    // another table's index written to the same folder before `stale` opened its session
    const other = await openSenseTable(new ArrayEngine(400, 3, 20, 18), { dir: tmp(), chunkTokens: 128, precision: 'f16' })
    await (await Int8SenseIndex.build(other, scorer())).save(dir, stamp)
    expect(await stale.scores(vec)).toEqual(want) // its session is built from its own q
    expect(stale.weightsFrom).toBe('written') // int8-index.bin is another file now
    expect(readdirSync(dir).filter((f) => f.startsWith('int8-session-'))).toEqual([])
  })

  it('releases q once the session holds it and int8-index.bin has it: same entries after, saves still write the same bytes', async () => {
    const dir = tmp()
    const e = new ArrayEngine(700, 3, 16, 23)
    const table = await openSenseTable(e, { dir, chunkTokens: 256, precision: 'f16' })
    const index = await int8Index(table, scorer()) // built and saved
    const file = readFileSync(join(dir, 'int8-index.bin'))
    const q = Array.from(await index.quantised())
    expect(index.released).toBe(false)
    const first = await reverseLookup(e, table, 5, { top: 9, scorer: scorer() })
    expect([index.weightsFrom, index.released]).toEqual(['linked', true])
    for (let i = 0; i < 2; i++)
      for (const direction of ['boost', 'suppress'] as const)
        for (const target of [5, 321, 699]) {
          const scan = await reverseLookup(e, table, target, { top: 9, direction, scan: 'table' })
          expect((await reverseLookup(e, table, target, { top: 9, direction, scorer: scorer() })).entries).toEqual(scan.entries)
          if (target === 5 && direction === 'boost') expect(scan.entries).toEqual(first.entries)
        }
    // saving a released index: q read back from int8-index.bin, byte for byte
    const copy = tmp()
    await index.save(copy, 'stamp')
    expect(readFileSync(join(copy, 'int8-index.bin')).equals(file)).toBe(true)
    expect(index.released).toBe(true)
    // int8-index.bin replaced by another table's index: q rebuilt from the table, the same bytes
    const other = await openSenseTable(new ArrayEngine(700, 3, 16, 24), { dir: tmp(), chunkTokens: 256, precision: 'f16' })
    await (await Int8SenseIndex.build(other, scorer())).save(dir, 'stamp')
    expect(readFileSync(join(dir, 'int8-index.bin')).equals(file)).toBe(false)
    expect(Array.from(await index.quantised())).toEqual(q)
    const again = tmp()
    await index.save(again, 'stamp')
    expect(readFileSync(join(again, 'int8-index.bin')).equals(file)).toBe(true)
    expect((await reverseLookup(e, table, 5, { top: 9, scorer: scorer() })).entries).toEqual(first.entries)
  })

  it('keeps q when its bytes are not in an unchanged int8-index.bin (never saved, or replaced before the session opened)', async () => {
    const dir = tmp()
    const e = new ArrayEngine(400, 3, 20, 29)
    const table = await openSenseTable(e, { dir, chunkTokens: 128, precision: 'f16' })
    const stamp = readFileSync(join(dir, 'manifest.json'), 'utf8')
    const vec = e.E.subarray(7 * 20, 8 * 20)
    const unsaved = await Int8SenseIndex.build(table, scorer())
    const want = await unsaved.scores(vec)
    expect([unsaved.weightsFrom, unsaved.released]).toEqual(['written', false])
    await unsaved.save(dir, stamp)
    const stale = (await Int8SenseIndex.load(dir, stamp, 400 * 3, 20, scorer(), table))!
    await (
      await Int8SenseIndex.build(
        await openSenseTable(new ArrayEngine(400, 3, 20, 30), { dir: tmp(), chunkTokens: 128, precision: 'f16' }),
        scorer(),
      )
    ).save(dir, stamp)
    expect(await stale.scores(vec)).toEqual(want)
    expect([stale.weightsFrom, stale.released]).toEqual(['written', false])
    expect(Array.from(await stale.quantised())).toEqual(Array.from(await unsaved.quantised()))
    // loaded from an unchanged file: linked and released, the same scores
    await unsaved.save(dir, stamp)
    const loaded = (await Int8SenseIndex.load(dir, stamp, 400 * 3, 20, scorer(), table))!
    expect(await loaded.scores(vec)).toEqual(want)
    expect([loaded.weightsFrom, loaded.released]).toEqual(['linked', true])
    expect(Array.from(await loaded.quantised())).toEqual(Array.from(await unsaved.quantised()))
  })

  it.each(['f16', 'f32'] as const)(
    'reverseLookup re-scores only candidates that can make the top, with the same answer as re-scoring all 4·top (%s)',
    async (precision) => {
      const e = new ArrayEngine(3000, 4, 24, 33)
      const table = await openSenseTable(e, { dir: tmp(), chunkTokens: 1000, precision })
      const { numSenses: k, nEmbd: d } = e.config
      const rescored: number[] = []
      for (const direction of ['boost', 'suppress'] as const)
        for (const [target, top] of [
          [8, 1],
          [1500, 6],
          [2999, 25],
        ]) {
          const vec = e.E.subarray(target * d, (target + 1) * d)
          const largest = direction === 'boost'
          const all = table.bestRows(vec, top * 4, largest).rows.map((r) => {
            let s = 0
            for (let x = 0; x < d; x++) s += vec[x] * e.C[r * d + x]
            return { id: Math.floor(r / k), sense: r % k, score: s }
          })
          all.sort((a, b) => (largest ? b.score - a.score : a.score - b.score))
          const got = await reverseLookup(e, table, target, { top, direction, scorer: scorer() })
          expect(got.entries.map(({ id, sense, score }) => ({ id, sense, score }))).toEqual(all.slice(0, top))
          expect(got.rescored).toBeGreaterThanOrEqual(top)
          rescored.push(got.rescored! / (4 * top))
        }
      expect(Math.min(...rescored)).toBeLessThan(0.5) // the bounds do rule candidates out
    },
  )
})
