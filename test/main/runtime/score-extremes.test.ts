import { describe, expect, it } from 'vitest'
import { expectExactExtremes } from '../../helpers/exact-extremes'
import { ScoreExtremes } from '../../../src/main/runtime/score-extremes'
import { mulberry32 } from '../../helpers/mulberry32'
import { useEngine } from '../generation/engine-fixture'

describe('ScoreExtremes', () => {
  it('gives the exact max/min of E·h over the vocabulary, block by block, cancellably', async () => {
    const V = 1500
    const d = 24
    const rand = mulberry32(5)
    const E = Float32Array.from({ length: V * d }, () => rand() * 2 - 1)
    const n = 70
    const rows = Float32Array.from({ length: n * d }, () => (rand() * 2 - 1) * 3)
    const ex = ScoreExtremes.fromEmbedding(E, V, d, 16)
    const blocks: number[] = []
    const { max, min } = await ex.run(rows, n, { onBlock: (r) => blocks.push(r) })
    expect(blocks).toEqual([16, 32, 48, 64, 70])
    for (let r = 0; r < n; r++) expectExactExtremes({ max: max[r], min: min[r] }, rows.subarray(r * d, (r + 1) * d), E, V, d)
    const controller = new AbortController()
    await expect(ex.run(rows, n, { signal: controller.signal, onBlock: () => controller.abort() })).rejects.toMatchObject({
      code: 'cancelled',
    })
  })
  it('gives the same exact extremes when E is split into vocabulary tiles (the last one shorter)', async () => {
    const V = 1500
    const d = 24
    const rand = mulberry32(9)
    const E = Float32Array.from({ length: V * d }, () => rand() * 2 - 1)
    const n = 40
    const rows = Float32Array.from({ length: n * d }, () => (rand() * 2 - 1) * 3)
    // the best and worst columns of row 0 in different tiles, near the tile edges
    E.set(rows.subarray(0, d), 511 * d)
    E.set(
      rows.subarray(0, d).map((x) => -x),
      1499 * d,
    )
    const tiled = ScoreExtremes.fromEmbedding(E, V, d, 16, 512)
    const { max, min } = await tiled.run(rows, n)
    for (let r = 0; r < n; r++) expectExactExtremes({ max: max[r], min: min[r] }, rows.subarray(r * d, (r + 1) * d), E, V, d)
    const whole = ScoreExtremes.fromEmbedding(E, V, d, 16, V)
    const one = await whole.run(rows, n)
    expect(max).toEqual(one.max)
    expect(min).toEqual(one.min)
    await Promise.all([tiled.release(), whole.release()])
  })
})

describe('engine.scoreExtremes on the real engine (small-bin), in its worker', () => {
  const fixture = useEngine('small-bin')
  it('equals the max/min of engine.project (the lm_head) bit for bit', async () => {
    const engine = fixture.engine()
    const { vocabSize: V, nEmbd: d, numSenses: k } = engine.config
    const ids = [0, 1, 17, 262, 511]
    const vecs = await engine.senseVectors(ids) // (n, sense, d_model)
    const fractions: number[] = []
    const { max, min } = await engine.scoreExtremes(vecs, ids.length * k, { onProgress: (p) => fractions.push(p.fraction) })
    expect(fractions.at(-1)).toBe(1)
    const controller = new AbortController()
    controller.abort()
    await expect(engine.scoreExtremes(vecs, ids.length * k, { signal: controller.signal })).rejects.toMatchObject({ code: 'cancelled' })
    const scores = await engine.project(vecs, ids.length * k) // (rows, vocab)
    const E = await engine.embeddingRows(Array.from({ length: V }, (_, i) => i))
    for (let r = 0; r < ids.length * k; r++) {
      const row = scores.subarray(r * V, (r + 1) * V)
      expect(max[r]).toBe(Math.max(...row))
      expect(min[r]).toBe(Math.min(...row))
      expectExactExtremes({ max: max[r], min: min[r] }, vecs.subarray(r * d, (r + 1) * d), E, V, d)
    }
  })
})
