import * as Plot from '@observablehq/plot'
import { metricUnit, signedWithUnit, withUnit } from '../units'

/** One experiment's value of a metric and its difference from the reference experiment's. */
export interface DeltaBar {
  experiment: string
  value: number
  delta: number
}

export interface MetricDeltas {
  /** the first experiment with a value: every delta is measured from it */
  reference: { experiment: string; value: number } | null
  bars: DeltaBar[]
}

/**
 * A metric across experiments as differences from the first experiment that has it, in display
 * units (probabilities in %, so their deltas are percentage points). Values −8.26 and −8.33 drawn
 * from 0 look identical; their deltas 0 and −0.07 do not.
 */
export function metricDeltas(metric: string, names: readonly string[], values: readonly (number | null)[]): MetricDeltas {
  const { scale } = metricUnit(metric)
  const present = values.flatMap((v, i) => (v === null || !Number.isFinite(v) ? [] : [{ experiment: names[i], value: v * scale }]))
  if (present.length === 0) return { reference: null, bars: [] }
  const ref = present[0]
  return { reference: ref, bars: present.map((p) => ({ ...p, delta: p.value - ref.value })) }
}

/** The y domain of the delta bars: contains 0 and every delta, padded by 10 % (never empty). */
export function deltaDomain(bars: readonly DeltaBar[]): [number, number] {
  const lo = Math.min(0, ...bars.map((b) => b.delta))
  const hi = Math.max(0, ...bars.map((b) => b.delta))
  if (lo === hi) return [-1, 1] // every experiment equal: an empty range would hide the bars' baseline
  const pad = (hi - lo) * 0.1
  return [lo < 0 ? lo - pad : 0, hi > 0 ? hi + pad : 0]
}

/** The Plot options of one small multiple: a metric's deltas per experiment, with units. */
export function metricChartOptions(m: { metric: string; prompt: string; values: readonly (number | null)[] }, names: readonly string[], legend: boolean): Plot.PlotOptions {
  const { unit, deltaUnit } = metricUnit(m.metric)
  const { reference, bars } = metricDeltas(m.metric, names, m.values)
  const refText = reference ? ` vs ${reference.experiment} (${withUnit(reference.value, unit)})` : ''
  return {
    width: 260,
    height: 200,
    marginLeft: 60,
    title: `${m.metric}${m.prompt ? ` · ${m.prompt.slice(0, 28)}` : ''}`,
    subtitle: `Δ${refText}`,
    x: { axis: null, domain: [...names] },
    y: { grid: true, label: `Δ ${m.metric}${deltaUnit ? ` (${deltaUnit})` : ''}`, domain: deltaDomain(bars) },
    color: { legend, domain: [...names] },
    marks: [
      Plot.barY(bars, { x: 'experiment', y: 'delta', fill: 'experiment', title: (d: DeltaBar) => `${d.experiment}: ${withUnit(d.value, unit)} (Δ ${signedWithUnit(d.delta, deltaUnit)})` }),
      Plot.ruleY([0]),
    ],
  }
}
