import { describe, expect, it } from 'vitest'
import { logSumExp, topKIndices } from '../../../src/main/math/top-k'
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

describe('logSumExp', () => {
  it('is stable for large logits and matches the direct sum', () => {
    expect(logSumExp([1000, 1000], 0, 2)).toBeCloseTo(1000 + Math.log(2), 10)
    expect(logSumExp([0.5, -1, 2, 99], 0, 3)).toBeCloseTo(Math.log(Math.exp(0.5) + Math.exp(-1) + Math.exp(2)), 12)
  })
})
