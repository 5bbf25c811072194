import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WorkbenchError } from '../../../src/shared/errors'
import { readCheckpoint } from '../../../src/main/checkpoint/read-checkpoint'
import { copyFileSync, cpSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ensureOnnxExport } from '../../../src/main/checkpoint/onnx/onnx-cache'
import { readManifest } from '../../../src/main/checkpoint/onnx/onnx-manifest'
import { EngineCore, MAX_DECODERS, sessionTuning } from '../../../src/main/runtime/engine-core'
import { expectAllClose } from '../../helpers/all-close'
import { checkpointPath, golden, openCore, useTempCache } from './core-fixture'

/** The engine pieces on the odd-sized fixture (d=96, 4 heads, 8 senses, 3 layers, V=1000, 48 positions). */
const FIXTURE = 'odd-safetensors'
const g = golden(FIXTURE)

async function codeOf(p: Promise<unknown> | (() => unknown)): Promise<string | undefined> {
  try {
    await (typeof p === 'function' ? p() : p)
  } catch (e) {
    return e instanceof WorkbenchError ? e.code : `not a WorkbenchError: ${String(e)}`
  }
  return undefined
}

describe('EngineCore', () => {
  let cache: ReturnType<typeof useTempCache>
  let core: EngineCore
  beforeAll(async () => {
    cache = useTempCache()
    core = await openCore(FIXTURE)
  })
  afterAll(() => {
    core.dispose()
    cache.cleanup()
  })

  it('α rows sum to 1 over j ≤ i and are 0 above the diagonal', async () => {
    const { numSenses: k } = core.config
    const T = g.ids.length
    const alpha = await core.contextualize(g.ids) // (sense, pos, pos)
    expect(alpha.length).toBe(k * T * T)
    for (let l = 0; l < k; l++) {
      for (let i = 0; i < T; i++) {
        let sum = 0
        for (let j = 0; j < T; j++) {
          const a = alpha[(l * T + i) * T + j]
          if (j > i) expect(a, `α[${l}, ${i}, ${j}]`).toBe(0)
          else expect(a).toBeGreaterThanOrEqual(0)
          sum += a
        }
        expect(Math.abs(sum - 1), `row sum α[${l}, ${i}, :]`).toBeLessThan(1e-5)
      }
      expect(alpha[l * T * T]).toBeCloseTo(1, 6)
    }
  })

  it('incremental decoding (prompt, then one token at a time) equals the full contextualize', async () => {
    const { numSenses: k } = core.config
    const ids = g.ids
    const T = ids.length
    const full = await core.contextualize(ids) // (sense, pos, pos)
    const dec = core.createDecoder()
    const split = 5
    const first = await core.decoderAppend(dec, ids.slice(0, split)) // (sense, split, split)
    expect(first.length).toBe(split)
    const rows: { pos: number; total: number; alpha: Float32Array; n: number }[] = [{ pos: 0, total: split, alpha: first.alpha, n: split }]
    for (let t = split; t < T; t++) {
      const step = await core.decoderAppend(dec, [ids[t]]) // (sense, 1, t+1)
      expect(step.length).toBe(t + 1)
      rows.push({ pos: t, total: t + 1, alpha: step.alpha, n: 1 })
    }
    for (const r of rows) {
      for (let l = 0; l < k; l++) {
        for (let q = 0; q < r.n; q++) {
          const got = r.alpha.subarray((l * r.n + q) * r.total, (l * r.n + q + 1) * r.total)
          const want = full.subarray((l * T + r.pos + q) * T, (l * T + r.pos + q) * T + r.total)
          expectAllClose(got, want, { atol: 1e-5, label: `decoder α[${l}, ${r.pos + q}]` })
        }
      }
    }
    core.disposeDecoder(dec)
    expect(await codeOf(core.decoderAppend(dec, [1]))).toBe('not-found')
  })

  it('decoder.combine over the senses given with each append equals combine (capacity growth past 16, 32 positions)', async () => {
    const { numSenses: k, nEmbd: d, nPositions: P } = core.config
    const ids = Array.from({ length: P }, (_, i) => g.ids[i % g.ids.length])
    const fwd = await core.forward(ids) // senses (sense, pos, d_model)
    const byId = await core.senseVectors(ids) // (pos, sense, d_model)
    // edited-looking senses: every value scaled per position, so a position mix-up shows
    const given = byId.map((v, i) => v * (1 + (Math.floor(i / (k * d)) % 5) * 0.25))
    const dec = core.createDecoder()
    const splits = [0, 10, 11, 17, 33, 34, P] // appends of 10, 1, 6, 16, 1, rest tokens
    for (let s = 1; s < splits.length; s++) {
      const [a, b] = [splits[s - 1], splits[s]]
      const { alpha } = await core.decoderAppend(dec, ids.slice(a, b), given.slice(a * k * d, b * k * d)) // (sense, n_new, b)
      const m = b - a
      const row = new Float32Array(k * b) // last new position's row (sense, pos)
      for (let l = 0; l < k; l++) row.set(alpha.subarray((l * m + m - 1) * b, (l * m + m) * b), l * b)
      const scale = new Float32Array(k * b).map((_, i) => [1, 0, 0.5, 2][i % 4])
      const senses = new Float32Array(k * b * d) // (sense, pos, d_model) of the given senses
      for (let j = 0; j < b; j++)
        for (let l = 0; l < k; l++) senses.set(given.subarray((j * k + l) * d, (j * k + l + 1) * d), (l * b + j) * d)
      expectAllClose(await core.decoderCombine(dec, row, 1, scale), await core.combine(senses, row, 1, scale), {
        rtolToScale: 1e-5,
        label: `decoder.combine at ${b} (scaled)`,
      })
      const plain = await core.decoderCombine(dec, row)
      expectAllClose(plain, await core.combine(senses, row, 1), { rtolToScale: 1e-5, label: `decoder.combine at ${b}` })
      if (s === splits.length - 1) {
        // unedited senses through the full pass: the last row of forward's logits
        const raw = core.createDecoder()
        await core.decoderAppend(raw, ids, byId)
        const want = fwd.logits.subarray((P - 1) * core.config.vocabSize)
        expectAllClose(await core.decoderCombine(raw, row), want, { rtolToScale: 1e-4, label: 'decoder.combine vs forward' })
        core.disposeDecoder(raw)
      }
    }
    expect(await codeOf(core.decoderCombine(dec, new Float32Array(k * P - 1)))).toBe('bad-request')
    expect(await codeOf(core.decoderCombine(dec, new Float32Array(k * P), 1, new Float32Array(3)))).toBe('bad-request')
    expect(await codeOf(core.decoderAppend(core.createDecoder(), [1, 2], new Float32Array(k * d)))).toBe('bad-request')
    core.disposeDecoder(dec)
    // an append without senses: combine refuses (it cannot know them)
    const blind = core.createDecoder()
    await core.decoderAppend(blind, ids.slice(0, 3), byId.slice(0, 3 * k * d))
    await core.decoderAppend(blind, ids.slice(3, 4))
    expect(await codeOf(core.decoderCombine(blind, new Float32Array(k * 4)))).toBe('bad-request')
    core.disposeDecoder(blind)
    expect(await codeOf(core.decoderCombine(blind, new Float32Array(k * 4)))).toBe('not-found')
  })

  it('decoder.truncate drops positions (appends after it equal the full pass); decoder.combine of several rows equals combine', async () => {
    const { numSenses: k, nEmbd: d } = core.config
    const ids = g.ids
    const T = ids.length
    const split = 6
    const byId = await core.senseVectors(ids) // (pos, sense, d_model)
    const drafts = [ids[1], ids[2], ids[1]]
    const dec = core.createDecoder()
    await core.decoderAppend(dec, ids.slice(0, split), byId.slice(0, split * k * d))
    await core.decoderAppend(dec, drafts, await core.senseVectors(drafts))
    expect(core.decoderTruncate(dec, split)).toEqual({ length: split })
    const m = T - split
    const { alpha, length } = await core.decoderAppend(dec, ids.slice(split), byId.slice(split * k * d)) // (sense, m, T)
    expect(length).toBe(T)
    const full = await core.contextualize(ids) // (sense, pos, pos)
    for (let l = 0; l < k; l++)
      for (let q = 0; q < m; q++) {
        expectAllClose(
          alpha.subarray((l * m + q) * T, (l * m + q + 1) * T),
          full.subarray((l * T + split + q) * T, (l * T + split + q + 1) * T),
          { atol: 1e-5, label: `α[${l}, ${split + q}] after truncate` },
        )
      }
    const senses = new Float32Array(k * T * d) // (sense, pos, d_model)
    for (let j = 0; j < T; j++) for (let l = 0; l < k; l++) senses.set(byId.subarray((j * k + l) * d, (j * k + l + 1) * d), (l * T + j) * d)
    expectAllClose(await core.decoderCombine(dec, alpha, m), await core.combine(senses, alpha, m), {
      rtolToScale: 1e-5,
      label: `decoder.combine of ${m} rows`,
    })
    expect(await codeOf(() => core.decoderTruncate(dec, T + 1))).toBe('bad-request')
    expect(await codeOf(() => core.decoderTruncate(dec, -1))).toBe('bad-request')
    expect(await codeOf(core.decoderCombine(dec, alpha, m + 1))).toBe('bad-request')
    core.disposeDecoder(dec)
  })

  it('combine with senseScale = 1 equals forward; with a scale it equals the manual formula', async () => {
    const { numSenses: k, nEmbd: d, vocabSize: V } = core.config
    const ids = g.ids
    const T = ids.length
    const fwd = await core.forward(ids)
    const ones = new Float32Array(k * T).fill(1)
    const same = await core.combine(fwd.senses, fwd.contextualization, T, ones)
    expectAllClose(same, fwd.logits, { atol: 1e-5, label: 'combine(scale=1) vs forward' })

    // a scale that ablates some (sense, pos) pairs and amplifies others
    const scale = new Float32Array(k * T)
    for (let i = 0; i < scale.length; i++) scale[i] = [0, 0.5, 1, 2.5][i % 4]
    const positions = [0, 4, T - 1]
    const rows = new Float32Array(k * positions.length * T) // (sense, query, pos)
    for (let l = 0; l < k; l++)
      positions.forEach((p, q) =>
        rows.set(fwd.contextualization.subarray((l * T + p) * T, (l * T + p + 1) * T), (l * positions.length + q) * T),
      )
    const got = await core.combine(fwd.senses, rows, positions.length, scale) // (query, vocab)
    // manual: hidden[q] = Σ_ℓ Σ_j α[ℓ,q,j]·scale[ℓ,j]·C[ℓ,j] in float64, then E·hidden
    const E = core.embeddingRows(Array.from({ length: V }, (_, v) => v)) // (vocab, d_model)
    const want = new Float32Array(positions.length * V)
    positions.forEach((_, q) => {
      const h = new Float64Array(d)
      for (let l = 0; l < k; l++) {
        for (let j = 0; j < T; j++) {
          const w = rows[(l * positions.length + q) * T + j] * scale[l * T + j]
          if (w === 0) continue
          for (let c = 0; c < d; c++) h[c] += w * fwd.senses[(l * T + j) * d + c]
        }
      }
      for (let v = 0; v < V; v++) {
        let s = 0
        for (let c = 0; c < d; c++) s += E[v * d + c] * h[c]
        want[q * V + v] = s
      }
    })
    expectAllClose(got, want, { rtolToScale: 1e-5, shape: [positions.length, V], label: 'combine with scale' })
    // and the scale matters: the unscaled rows give different logits
    const unscaled = await core.combine(fwd.senses, rows, positions.length)
    expect(Math.max(...unscaled.map((x, i) => Math.abs(x - got[i])))).toBeGreaterThan(1e-2)
  })

  it('forward with positions returns the selected logits rows', async () => {
    const V = core.config.vocabSize
    const full = await core.forward(g.ids)
    const sel = await core.forward(g.ids, [3, 0, 11])
    expect(sel.logits.length).toBe(3 * V)
    ;[3, 0, 11].forEach((p, q) =>
      expectAllClose(sel.logits.subarray(q * V, (q + 1) * V), full.logits.subarray(p * V, (p + 1) * V), { atol: 1e-5, label: `row ${p}` }),
    )
    expect(await codeOf(core.forward(g.ids, [12]))).toBe('bad-request')
  })

  it('embeddingRows are the checkpoint E rows and project(v) = E·v', async () => {
    const ckpt = await readCheckpoint(checkpointPath(FIXTURE))
    const E = ckpt.tensors.get('backpack.gpt2_model.wte.weight')!.data
    const { nEmbd: d, vocabSize: V } = core.config
    const ids = [0, 7, 999, 7, 5, 6, 7, 8, 998, 999]
    const rows = core.embeddingRows(ids)
    ids.forEach((id, i) => expect(Array.from(rows.subarray(i * d, (i + 1) * d))).toEqual(Array.from(E.subarray(id * d, (id + 1) * d))))
    const v = new Float32Array(2 * d).map((_, i) => Math.sin(i))
    const scores = await core.project(v, 2) // (n, vocab)
    const want = new Float32Array(2 * V)
    for (let n = 0; n < 2; n++)
      for (let t = 0; t < V; t++) {
        let s = 0
        for (let c = 0; c < d; c++) s += E[t * d + c] * v[n * d + c]
        want[n * V + t] = s
      }
    expectAllClose(scores, want, { rtolToScale: 1e-5, label: 'project' })
  })

  it('computes each token id once through the sense network (cache by id)', async () => {
    const before = core.stats().sensesComputed
    const fresh = [101, 102, 101, 103]
    await core.senseVectors(fresh)
    expect(core.stats().sensesComputed - before).toBe(3)
    await core.forward([101, 102, 103, 101])
    expect(core.stats().sensesComputed - before).toBe(3)
  })

  it('serves requests larger than the sense cache; vocabulary sweeps do not fill it', async () => {
    const { numSenses: k, nEmbd: d, vocabSize: V } = core.config
    const per = k * d
    const small = await openCore(FIXTURE, { senseCacheBytes: 10 * per * 4 }) // room for 10 ids
    try {
      const all = Array.from({ length: V }, (_, v) => v)
      const sweep = await small.senseVectors(all) // 1000 ids through a 10-id cache
      const ref = await core.senseVectors([0, 500, 999])
      ;[0, 500, 999].forEach((id, i) =>
        expectAllClose(sweep.subarray(id * per, (id + 1) * per), ref.subarray(i * per, (i + 1) * per), {
          rtolToScale: 1e-6,
          label: `sweep id ${id}`,
        }),
      )
      expect(small.stats().senseCacheSize).toBe(10)
      const big = [...all, ...all.slice(0, 100)] // 1100 ids > SENSE_CACHE_MAX_REQUEST
      const before = small.stats()
      const again = await small.senseVectors(big)
      expect(again.subarray(1000 * per, 1001 * per)).toEqual(sweep.subarray(0, per)) // repeats filled too
      expect(small.stats().sensesComputed - before.sensesComputed).toBe(V - 10) // the 10 cached ids were hits
    } finally {
      small.dispose()
    }
  })

  it('a request of exactly 1024 ids (a sense-table chunk) reads the cache but does not fill it', async () => {
    const { vocabSize: V } = core.config
    const fresh = await openCore(FIXTURE)
    try {
      const ids = Array.from({ length: 1024 }, (_, i) => i % V) // repeats where the vocabulary is smaller
      await fresh.senseVectors(ids)
      expect(fresh.stats().senseCacheSize).toBe(0)
      await fresh.senseVectors(ids.slice(0, 1023))
      expect(fresh.stats().senseCacheSize).toBe(Math.min(1023, V))
    } finally {
      fresh.dispose()
    }
  })

  it('keeps at most MAX_DECODERS live decoders, dropping the oldest', async () => {
    const ids = Array.from({ length: MAX_DECODERS + 1 }, () => core.createDecoder())
    expect(await codeOf(core.decoderAppend(ids[0], [1]))).toBe('not-found')
    expect((await core.decoderAppend(ids[MAX_DECODERS], [1])).length).toBe(1)
    ids.forEach((d) => core.disposeDecoder(d))
    expect(core.stats().decoders).toBe(0)
  })

  it('refuses an export whose graph does not match the catalog (onnx-model)', async () => {
    const exp = await ensureOnnxExport(checkpointPath(FIXTURE))
    const copy = mkdtempSync(join(tmpdir(), 'backpack-export-'))
    try {
      cpSync(exp.dir, copy, { recursive: true })
      copyFileSync(join(copy, 'senses.onnx'), join(copy, 'mix.onnx')) // right file name, wrong graph
      expect(await codeOf(EngineCore.open(copy, readManifest(copy), 'cpu'))).toBe('onnx-model')
    } finally {
      rmSync(copy, { recursive: true, force: true })
    }
  })

  it('rejects too many tokens and ids outside the vocabulary with typed errors', async () => {
    const { nPositions: P, vocabSize: V } = core.config
    const long = Array.from({ length: P + 1 }, (_, i) => i % V)
    expect(await codeOf(core.forward(long))).toBe('too-long')
    expect(await codeOf(core.contextualize(long))).toBe('too-long')
    await expect(core.forward(long)).rejects.toThrow(String(P))
    expect(await codeOf(core.forward([1, V]))).toBe('bad-request')
    expect(await codeOf(core.forward([1, -1]))).toBe('bad-request')
    expect(await codeOf(core.forward([1, 2.5]))).toBe('bad-request')
    expect(await codeOf(core.senseVectors([V]))).toBe('bad-request')
    expect(await codeOf(() => core.embeddingRows([V]))).toBe('bad-request')
    expect(await codeOf(core.forward([]))).toBe('bad-request')
    const dec = core.createDecoder()
    await core.decoderAppend(dec, long.slice(0, P))
    expect(await codeOf(core.decoderAppend(dec, [1]))).toBe('too-long')
    core.disposeDecoder(dec)
    expect(await codeOf(core.combine(new Float32Array(5), new Float32Array(1), 1))).toBe('bad-request')
    expect(await codeOf(core.project(new Float32Array(3), 1))).toBe('bad-request')
  })
})

describe('session threading (sessionTuning)', () => {
  it('sessions do not spin by default; BACKPACK_ORT_SPIN=all turns spinning on; BACKPACK_ORT_THREADS is validated', () => {
    expect(sessionTuning('context', {})).toEqual({ spinning: false })
    expect(sessionTuning('lm_head', {})).toEqual({ spinning: false })
    expect(sessionTuning('context', { BACKPACK_ORT_SPIN: 'all' })).toEqual({ spinning: true })
    expect(sessionTuning('context', { BACKPACK_ORT_THREADS: '1' })).toEqual({ spinning: false, threads: 1 })
    for (const bad of ['0', '-1', '1.5', 'two', ''])
      expect(() => sessionTuning('mix', { BACKPACK_ORT_THREADS: bad })).toThrow(/BACKPACK_ORT_THREADS/)
  })

  it('spinning or not, the outputs are bit-identical (only how idle threads wait changes)', async () => {
    const cache = useTempCache()
    const before = process.env.BACKPACK_ORT_SPIN
    let quiet: EngineCore | null = null
    let spinning: EngineCore | null = null
    try {
      quiet = await openCore(FIXTURE)
      process.env.BACKPACK_ORT_SPIN = 'all'
      spinning = await openCore(FIXTURE)
      const a = await quiet.forward(g.ids)
      const b = await spinning.forward(g.ids)
      expect(a.logits).toEqual(b.logits)
      expect(a.contextualization).toEqual(b.contextualization)
      expect(a.senses).toEqual(b.senses)
    } finally {
      if (before === undefined) delete process.env.BACKPACK_ORT_SPIN
      else process.env.BACKPACK_ORT_SPIN = before
      quiet?.dispose()
      spinning?.dispose()
      cache.cleanup()
    }
  })
})

describe('weight layouts (mapped or pre-packed)', () => {
  let cache: ReturnType<typeof useTempCache>
  beforeAll(() => {
    cache = useTempCache()
  })
  afterAll(() => cache.cleanup())

  it('both give the golden forward outputs within 1e-4 of scale, and the same logits as each other', async () => {
    const logits: Float32Array[] = []
    for (const weights of ['mapped', 'prepacked'] as const) {
      const core = await openCore(FIXTURE, { weights })
      try {
        const out = await core.forward(g.ids)
        expectAllClose(out.logits, g.logits.data, { rtolToScale: 1e-4, label: `${weights} logits` })
        expectAllClose(out.senses, g.senses.data, { rtolToScale: 1e-4, label: `${weights} senses` })
        expectAllClose(out.contextualization, g.contextualization.data, { rtolToScale: 1e-4, label: `${weights} contextualization` })
        logits.push(out.logits)
      } finally {
        core.dispose()
      }
    }
    expectAllClose(logits[0], logits[1], { rtolToScale: 1e-6, label: 'mapped vs pre-packed logits' })
  })
})
