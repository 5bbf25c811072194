import { describe, expect, it } from 'vitest'
import { topKIndices } from '../../../src/main/prediction/top-k'
import { rankScores } from '../../../src/main/senses/rank-scores'
import { scoreSummary } from '../../../src/main/senses/score-summary'
import { mulberry32 } from '../../helpers/mulberry32'

describe('rankScores', () => {
  it.each([
    ['normal-ish', (r: () => number) => r() + r() + r() - 1.5],
    ['heavy-tailed', (r: () => number) => Math.tan((r() - 0.5) * 3.1)],
    ['many ties', (r: () => number) => (r() < 0.7 ? 0 : Math.round(r() * 5))],
  ])('equals topKIndices + scoreSummary exactly (%s)', (_, draw) => {
    const rand = mulberry32(11)
    for (const [n, offset, top, bins] of [
      [1, 0, 3, 20],
      [7, 2, 10, 5],
      [1000, 13, 10, 20],
      [20001, 5, 25, 7],
    ]) {
      const values = Float32Array.from({ length: n + offset + 3 }, () => draw(rand))
      const got = rankScores(values, offset, n, top, bins)
      expect(got.top).toEqual(topKIndices(values, offset, n, top, true))
      expect(got.bottom).toEqual(topKIndices(values, offset, n, top, false))
      expect(got.summary).toEqual(scoreSummary(values, offset, n, bins))
    }
  })

  it('handles constant input (all quantiles equal the value)', () => {
    const got = rankScores(new Float32Array(9).fill(2), 0, 9, 3)
    expect(Object.values(got.summary.quantiles)).toEqual([2, 2, 2, 2, 2, 2, 2])
    expect(got.summary.histogram.counts.reduce((a, b) => a + b, 0)).toBe(9)
    expect(got.top).toEqual([0, 1, 2])
  })
})
