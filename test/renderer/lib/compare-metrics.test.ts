import * as Plot from '@observablehq/plot'
import { describe, expect, it } from 'vitest'
import { deltaDomain, metricChartOptions, metricDeltas } from '../../../src/renderer/src/lib/plots/compare-metrics'
import { metricUnit, signedWithUnit } from '../../../src/renderer/src/lib/units'

describe('Compare: metric charts on scales that fit the data', () => {
  it('−8.26 vs −8.33 are drawn as deltas 0 and −0.07 on a domain of about 0.08, not from 0 to −8.33', () => {
    const { reference, bars } = metricDeltas('meanLogProb', ['a #1', 'b #2'], [-8.26, -8.33])
    expect(reference).toEqual({ experiment: 'a #1', value: -8.26 })
    expect(bars.map((b) => b.delta)).toEqual([0, expect.closeTo(-0.07, 10)])
    const [lo, hi] = deltaDomain(bars)
    expect(hi).toBe(0)
    expect(lo).toBeCloseTo(-0.077, 10)
    expect(hi - lo).toBeLessThan(0.1)
  })

  it('domains contain 0 and every delta, and are never empty', () => {
    const bars = (ds: number[]) => ds.map((delta) => ({ experiment: 'x', value: delta, delta }))
    expect(deltaDomain(bars([0, 2, -1]))).toEqual([-1.3, 2.3])
    expect(deltaDomain(bars([0, 0]))).toEqual([-1, 1])
    expect(deltaDomain([])).toEqual([-1, 1])
  })

  it('probabilities are shown in % and their differences in percentage points; missing values get no bar', () => {
    expect(metricUnit('top1Prob')).toMatchObject({ unit: '%', deltaUnit: 'pp' })
    const { bars } = metricDeltas('top1Prob', ['a', 'b', 'c'], [0.5, null, 0.512])
    expect(bars.map((b) => b.experiment)).toEqual(['a', 'c'])
    expect(bars[1].delta).toBeCloseTo(1.2, 10)
    expect(signedWithUnit(bars[1].delta, 'pp', 2)).toBe('+1.20 pp')
    const o = metricChartOptions({ metric: 'top1Prob', prompt: 'The nurse', values: [0.5, null, 0.512] }, ['a', 'b', 'c'], false)
    expect(o.y).toMatchObject({ label: 'Δ top1Prob (pp)' })
    const svg = Plot.plot(o)
    expect(svg.querySelectorAll('g[aria-label="bar"] rect')).toHaveLength(2)
  })
})
