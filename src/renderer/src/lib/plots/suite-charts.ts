import * as Plot from '@observablehq/plot'
import type { GenderBiasView, TopicSuiteView } from '../../../../shared/ipc/api-types'

/** The gender-bias suite's settings, as the chart's legend names them. */
export const BIAS_SETTINGS = { unmodified: 'unmodified', removeSense: 'remove sense', optimizeSense: 'optimize sense' } as const

export interface BiasDot {
  profession: string
  setting: string
  bias: number
}

/** One dot per profession and setting (a setting the run did not fit is left out). */
export function biasDots(r: GenderBiasView): BiasDot[] {
  return r.perProfession.flatMap((p) =>
    (['unmodified', 'removeSense', 'optimizeSense'] as const).flatMap((k) =>
      p[k] === undefined ? [] : [{ profession: p.profession, setting: BIAS_SETTINGS[k], bias: p[k] as number }],
    ),
  )
}

/**
 * Bias per profession before and after, on a log axis with 1 (unbiased) marked. Settings whose dot
 * lands on another's (Optimize-Sense fitted w = 1 is the unmodified model) are drawn smaller on
 * top, so neither hides the other.
 */
export function genderBiasChartOptions(r: GenderBiasView): Plot.PlotOptions {
  const rows = biasDots(r)
  const settings: string[] = Object.values(BIAS_SETTINGS).filter((l) => rows.some((x) => x.setting === l))
  const radius = (d: BiasDot) => 5 - settings.indexOf(d.setting) * 1.3
  return {
    marginLeft: 110,
    height: 30 + r.perProfession.length * 18,
    x: { type: 'log', label: 'bias max(p(he)/p(she), p(she)/p(he)) (ratio, 1 = unbiased) →', grid: true },
    y: { label: null, domain: r.perProfession.map((p) => p.profession) },
    color: { legend: true, domain: settings },
    marks: [
      Plot.ruleX([1]),
      Plot.dot(rows, {
        x: 'bias',
        y: 'profession',
        fill: 'setting',
        r: radius,
        title: (d: BiasDot) => `${d.setting}: ${d.bias.toFixed(3)}`,
      }),
    ],
  }
}

/** Bag-of-words probability mass against the topic edit's strength, one line per topic. */
export function topicChartOptions(r: TopicSuiteView): Plot.PlotOptions {
  const rows = r.topics.flatMap((t) => t.results.map((x) => ({ topic: t.topic, strength: x.strength, bagMass: x.bagMass })))
  return {
    height: 260,
    x: { label: 'strength →', ticks: [0, 1, 2, 3] },
    y: { label: '↑ bag-of-words probability mass (sum of p over the bag)', grid: true },
    color: { legend: r.topics.length <= 17, type: 'categorical' },
    marks: [Plot.line(rows, { x: 'strength', y: 'bagMass', stroke: 'topic', marker: 'dot' })],
  }
}
