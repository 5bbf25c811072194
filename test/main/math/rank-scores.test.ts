import { describe, expect, it } from 'vitest'
import { topKIndices } from '../../../src/main/math/top-k'
import { rankScores, rankScoresGeneral } from '../../../src/main/math/rank-scores'
import { scoreSummary } from '../../../src/main/math/score-summary'
import { mulberry32 } from '../../helpers/mulberry32'

describe('rankScores', () => {
  it.each([
    ['normal-ish', (r: () => number) => r() + r() + r() - 1.5],
    ['heavy-tailed', (r: () => number) => Math.tan((r() - 0.5) * 3.1)],
    ['many ties', (r: () => number) => (r() < 0.7 ? 0 : Math.round(r() * 5))],
    ['signed zeros', (r: () => number) => (r() < 0.3 ? -0 : r() < 0.5 ? 0 : r() - 0.5)],
    ['zeros and positives', (r: () => number) => (r() < 0.5 ? (r() < 0.5 ? -0 : 0) : r())],
    ['zeros and negatives', (r: () => number) => (r() < 0.5 ? (r() < 0.5 ? -0 : 0) : -r())],
    ['narrow range (every histogram edge in one order-key bin)', (r: () => number) => 1000 + r() * 0.01],
    ['narrow range across a power of two (two order-key bins)', (r: () => number) => 1024 + (r() - 0.5) * 0.02],
    ['wide exponent range', (r: () => number) => (r() - 0.5) * 2 ** Math.floor(r() * 200 - 100)],
    ['tiny values', (r: () => number) => (r() - 0.5) * 1e-38],
    ['two values', (r: () => number) => (r() < 0.5 ? -1 : 3)],
  ])('equals topKIndices + scoreSummary exactly (%s)', (_, draw) => {
    const rand = mulberry32(11)
    for (const [n, offset, top, bins] of [
      [1, 0, 3, 20],
      [7, 2, 10, 5],
      [1000, 13, 10, 20],
      [20001, 5, 25, 7],
      [50257, 0, 10, 20],
      [5, 0, 10, 20],
      [300, 1, 0, 20],
    ]) {
      const values = Float32Array.from({ length: n + offset + 3 }, () => draw(rand))
      const got = rankScores(values, offset, n, top, bins)
      expect(got.top).toEqual(topKIndices(values, offset, n, top, true))
      expect(got.bottom).toEqual(topKIndices(values, offset, n, top, false))
      expect(got.summary).toEqual(scoreSummary(values, offset, n, bins))
      expect(got).toEqual(rankScoresGeneral(values, offset, n, top, bins))
    }
  })

  it('bins values within a few ulps of every histogram edge exactly (edges on and off fine-bin boundaries)', () => {
    const rand = mulberry32(23)
    const f32 = new Float32Array(1)
    const i32 = new Int32Array(f32.buffer)
    const ulps = (x: number, k: number) => {
      f32[0] = x
      i32[0] += x >= 0 ? k : -k
      return f32[0]
    }
    for (let trial = 0; trial < 40; trial++) {
      const bins = [8, 16, 20, 32, 7][trial % 5]
      const min = Math.fround((rand() - 0.5) * 10)
      const max = Math.fround(min + 0.1 + rand() * 20)
      const width = (max - min) / bins
      const values = [min, max]
      for (let b = 1; b < bins; b++) for (let k = -6; k <= 6; k++) values.push(ulps(min + b * width, k))
      while (values.length < 2000) values.push(min + rand() * (max - min))
      const v = Float32Array.from(values)
      expect(rankScores(v, 0, v.length, 10, bins).summary).toEqual(scoreSummary(v, 0, v.length, bins))
    }
  })

  it('takes the general route for NaN and infinities (same results as before the two-pass route)', () => {
    const rand = mulberry32(5)
    for (const special of [Number.NaN, Infinity, -Infinity]) {
      const values = Float32Array.from({ length: 5000 }, () => (rand() < 0.01 ? special : rand()))
      const got = rankScores(values, 3, 4990, 10)
      expect(got).toEqual(rankScoresGeneral(values, 3, 4990, 10))
      expect(got.top).toEqual(topKIndices(values, 3, 4990, 10, true))
      expect(got.bottom).toEqual(topKIndices(values, 3, 4990, 10, false))
    }
  })

  it('handles constant input (all quantiles equal the value)', () => {
    const got = rankScores(new Float32Array(9).fill(2), 0, 9, 3)
    expect(Object.values(got.summary.quantiles)).toEqual([2, 2, 2, 2, 2, 2, 2])
    expect(got.summary.histogram.counts.reduce((a, b) => a + b, 0)).toBe(9)
    expect(got.top).toEqual([0, 1, 2])
  })
})
