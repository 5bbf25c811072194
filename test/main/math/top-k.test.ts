import { describe, expect, it } from 'vitest'
import { logSumExp, topKIndices, topKWithCountAbove } from '../../../src/main/math/top-k'
import { mulberry32 } from '../../helpers/mulberry32'

describe('topKIndices', () => {
  it('matches a full sort, both directions, with ties and NaN skipped', () => {
    const rand = mulberry32(9)
    for (const n of [0, 1, 5, 100, 3000]) {
      const values = Float32Array.from({ length: n }, () => Math.round(rand() * 50) / 7)
      if (n > 3) values[2] = Number.NaN
      for (const k of [1, 3, 10])
        for (const largest of [true, false]) {
          const got = topKIndices(values, 0, n, k, largest).map((i) => values[i])
          const want = Array.from(values)
            .filter((v) => !Number.isNaN(v))
            .sort((a, b) => (largest ? b - a : a - b))
            .slice(0, k)
          expect(got).toEqual(want)
        }
    }
  })

  it('respects offset and length', () => {
    expect(topKIndices([9, 1, 5, 3, 8], 1, 3, 2)).toEqual([1, 2])
  })
})

describe('topKWithCountAbove', () => {
  it('equals topKIndices (largest) and a separate count of the values above, with ties and NaN', () => {
    const rand = mulberry32(11)
    for (const n of [0, 1, 7, 3000]) {
      const values = Float32Array.from({ length: n + 2 }, () => Math.round(rand() * 40) / 3)
      if (n > 3) values[4] = Number.NaN
      for (const k of [1, 3, 10])
        for (const than of [-Infinity, 5, values[1] ?? 0, Infinity, Number.NaN]) {
          const got = topKWithCountAbove(values, 1, n, k, than)
          expect(got.top).toEqual(topKIndices(values, 1, n, k))
          let above = 0
          for (let i = 1; i <= n; i++) if (values[i] > than) above++
          expect(got.above).toBe(above)
        }
    }
  })
})

describe('logSumExp', () => {
  it('given the row maximum, skips finding it and gives the same value', () => {
    const rand = mulberry32(12)
    const row = Float32Array.from({ length: 500 }, () => rand() * 30 - 15)
    const best = topKIndices(row, 0, 500, 1)[0]
    expect(logSumExp(row, 0, 500, row[best])).toBe(logSumExp(row, 0, 500))
    expect(logSumExp([-Infinity, -Infinity], 0, 2, -Infinity)).toBeNaN()
    expect(logSumExp([-Infinity, -Infinity], 0, 2)).toBeNaN()
  })

  it('is stable for large logits and matches the direct sum', () => {
    expect(logSumExp([1000, 1000], 0, 2)).toBeCloseTo(1000 + Math.log(2), 10)
    expect(logSumExp([0.5, -1, 2, 99], 0, 3)).toBeCloseTo(Math.log(Math.exp(0.5) + Math.exp(-1) + Math.exp(2)), 12)
  })
})
