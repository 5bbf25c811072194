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
 * A metric across experiments, in display units (probabilities in %, so their deltas are
 * percentage points), each with its difference from the first experiment that has it.
 */
export function metricDeltas(metric: string, names: readonly string[], values: readonly (number | null)[]): MetricDeltas {
  const { scale } = metricUnit(metric)
  const present = values.flatMap((v, i) => (v === null || !Number.isFinite(v) ? [] : [{ experiment: names[i], value: v * scale }]))
  if (present.length === 0) return { reference: null, bars: [] }
  const ref = present[0]
  return { reference: ref, bars: present.map((p) => ({ ...p, delta: p.value - ref.value })) }
}

/**
 * The y domain of the value bars, fitted to the data: from a little below the smallest value to a
 * little above the largest, so −8.26 and −8.33 fill the chart instead of sitting at the far end of
 * an axis from 0. Bars start at the domain's floor, so every bar — the smallest one included — has
 * a height: the floor is 15 % of the values' range below the smallest (a range of 0: 1 % of the
 * value's size, or ±1 for 0).
 */
export function valueDomain(bars: readonly { value: number }[]): [number, number] {
  if (bars.length === 0) return [0, 1]
  const lo = Math.min(...bars.map((b) => b.value))
  const hi = Math.max(...bars.map((b) => b.value))
  const range = hi - lo
  const pad = range > 0 ? range * 0.15 : Math.abs(lo) > 0 ? Math.abs(lo) * 0.01 : 1
  return [lo - pad, hi + pad]
}

/**
 * The Plot options of one small multiple: a metric's value per experiment on a fitted axis, with
 * units; the subtitle and each bar's tooltip give its difference from the first experiment.
 */
export function metricChartOptions(
  m: { metric: string; prompt: string; values: readonly (number | null)[] },
  names: readonly string[],
  legend: boolean,
): Plot.PlotOptions {
  const { unit, deltaUnit } = metricUnit(m.metric)
  const { reference, bars } = metricDeltas(m.metric, names, m.values)
  const [floor, top] = valueDomain(bars)
  const spread =
    bars.length > 1
      ? ` · spread ${signedWithUnit(Math.max(...bars.map((b) => b.delta)) - Math.min(...bars.map((b) => b.delta)), deltaUnit).replace(/^\+/, '')}`
      : ''
  const refText = reference ? `vs ${reference.experiment} (${withUnit(reference.value, unit)})${spread}` : ''
  return {
    width: 260,
    height: 200,
    marginLeft: 60,
    title: `${m.metric}${m.prompt ? ` · ${m.prompt.slice(0, 28)}` : ''}`,
    subtitle: refText,
    x: { axis: null, domain: [...names] },
    // the axis does not start at 0: it is fitted to the values (see valueDomain)
    y: { grid: true, label: `${m.metric}${unit ? ` (${unit})` : ''}`, domain: [floor, top], nice: false },
    color: { legend, domain: [...names] },
    marks: [
      Plot.barY(bars, {
        x: 'experiment',
        y1: floor,
        y2: 'value',
        fill: 'experiment',
        title: (d: DeltaBar) => `${d.experiment}: ${withUnit(d.value, unit)} (Δ ${signedWithUnit(d.delta, deltaUnit)})`,
      }),
      Plot.text(bars, {
        x: 'experiment',
        y: 'value',
        dy: -6,
        text: (d: DeltaBar) => (d.delta === 0 ? '' : signedWithUnit(d.delta, deltaUnit, 2)),
        fontSize: 9,
      }),
    ],
  }
}
