import * as Plot from '@observablehq/plot'
import { describe, expect, it } from 'vitest'
import { metricChartOptions, metricDeltas, valueDomain } from '../../../src/renderer/src/lib/plots/compare-metrics'
import { metricUnit, signedWithUnit } from '../../../src/renderer/src/lib/units'

const barHeights = (svg: SVGSVGElement | HTMLElement) =>
  [...svg.querySelectorAll('g[aria-label="bar"] rect')].map((r) => Number(r.getAttribute('height')))

describe('Compare: metric charts on scales that fit the data', () => {
  it('−8.26 vs −8.33: deltas 0 and −0.07 on an axis fitted to the values, where the difference is most of the chart', () => {
    const { reference, bars } = metricDeltas('meanLogProb', ['a #1', 'b #2'], [-8.26, -8.33])
    expect(reference).toEqual({ experiment: 'a #1', value: -8.26 })
    expect(bars.map((b) => b.delta)).toEqual([0, expect.closeTo(-0.07, 10)])
    const [lo, hi] = valueDomain(bars)
    expect(lo).toBeCloseTo(-8.33 - 0.0105, 10)
    expect(hi).toBeCloseTo(-8.26 + 0.0105, 10)
    expect(hi - lo).toBeLessThan(0.1)
    // drawn: both bars have a height, and the difference is most of the taller one
    const [first, second] = barHeights(
      Plot.plot(metricChartOptions({ metric: 'meanLogProb', prompt: '', values: [-8.26, -8.33] }, ['a #1', 'b #2'], false)),
    )
    expect(first).toBeGreaterThan(0)
    expect(second).toBeGreaterThan(0)
    expect((first - second) / first).toBeGreaterThan(0.5)
  })

  it('domains contain every value with room, and are never empty', () => {
    const bars = (vs: number[]) => vs.map((value) => ({ value }))
    expect(valueDomain(bars([0, 2, -1]))).toEqual([-1.45, 2.45])
    expect(valueDomain(bars([5, 5]))).toEqual([4.95, 5.05])
    expect(valueDomain(bars([0]))).toEqual([-1, 1])
    expect(valueDomain([])).toEqual([0, 1])
  })

  it('probabilities are shown in % and their differences in percentage points; missing values get no bar', () => {
    expect(metricUnit('top1Prob')).toMatchObject({ unit: '%', deltaUnit: 'pp' })
    const { bars } = metricDeltas('top1Prob', ['a', 'b', 'c'], [0.5, null, 0.512])
    expect(bars.map((b) => b.experiment)).toEqual(['a', 'c'])
    expect(bars[1].delta).toBeCloseTo(1.2, 10)
    expect(signedWithUnit(bars[1].delta, 'pp', 2)).toBe('+1.20 pp')
    const o = metricChartOptions({ metric: 'top1Prob', prompt: 'The nurse', values: [0.5, null, 0.512] }, ['a', 'b', 'c'], false)
    expect(o.y).toMatchObject({ label: 'top1Prob (%)' })
    const svg = Plot.plot(o)
    expect(svg.querySelectorAll('g[aria-label="bar"] rect')).toHaveLength(2)
    expect(barHeights(svg).every((h) => h > 0)).toBe(true)
  })
})
