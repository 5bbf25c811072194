import * as Plot from '@observablehq/plot'
import type { FinetuneEpochFigures, FinetuneFigures } from '../../../../shared/ipc/api-types'

/** One point of a loss curve: epoch 0 is the original model. */
export interface LossPoint {
  epoch: number
  series: 'canonical loss' | 'objective' | 'background NLL'
  value: number
}

/** The curves of a fine-tuning run so far: the original model's figures at epoch 0, then each epoch's. */
export function lossPoints(before: FinetuneFigures | null, history: readonly FinetuneEpochFigures[]): LossPoint[] {
  const rows: { epoch: number; f: FinetuneFigures }[] = [
    ...(before ? [{ epoch: 0, f: before }] : []),
    ...history.map((h) => ({ epoch: h.epoch, f: h })),
  ]
  return rows.flatMap(({ epoch, f }) => [
    { epoch, series: 'canonical loss' as const, value: f.canonicalLoss },
    { epoch, series: 'objective' as const, value: f.objective },
    { epoch, series: 'background NLL' as const, value: f.backgroundNll },
  ])
}

/**
 * The live chart's two panels as Plot options: the canonical loss and the objective (what
 * training lowers), and the background NLL with the degradation ball's limit as a rule (what it
 * must keep). The x axis spans every epoch asked for, so the curves grow from left to right.
 */
export function lossChartOptions(points: readonly LossPoint[], epochs: number): Plot.PlotOptions {
  const train = points.filter((p) => p.series !== 'background NLL')
  return {
    height: 220,
    marginLeft: 55,
    x: { label: 'epoch →', domain: [0, Math.max(1, epochs)] },
    y: { label: '↑ nats', grid: true },
    color: { legend: true, domain: ['canonical loss', 'objective'] },
    marks: lineMarks(train, 'series'),
  }
}

/** The background NLL panel: the curve, the original model's value (dashed) and the ball's limit (red), when there is one. */
export function backgroundChartOptions(points: readonly LossPoint[], epochs: number, limit: number | null): Plot.PlotOptions {
  const bg = points.filter((p) => p.series === 'background NLL')
  const original = bg.find((p) => p.epoch === 0)?.value ?? null
  const values = [...bg.map((p) => p.value), ...(limit !== null ? [limit] : [])]
  const lo = values.length ? Math.min(...values) : 0
  const hi = values.length ? Math.max(...values) : 1
  const pad = hi > lo ? (hi - lo) * 0.1 : Math.max(1e-6, Math.abs(hi) * 1e-4)
  return {
    height: 160,
    marginLeft: 55,
    x: { label: 'epoch →', domain: [0, Math.max(1, epochs)] },
    y: { label: '↑ background NLL (nats/token)', grid: true, domain: [lo - pad, hi + pad] },
    marks: [
      ...(original !== null ? [Plot.ruleY([original], { strokeDasharray: '4 3', stroke: 'currentColor' })] : []),
      ...(limit !== null ? [Plot.ruleY([limit], { stroke: 'crimson' })] : []),
      ...lineMarks(bg, null),
    ],
  }
}

/** A curve per series with a dot per epoch and the value on hover. */
function lineMarks(points: readonly LossPoint[], stroke: 'series' | null): Plot.Markish[] {
  const channel = stroke ?? 'currentColor'
  return [
    Plot.line(points, { x: 'epoch', y: 'value', stroke: channel, z: 'series' }),
    Plot.dot(points, {
      x: 'epoch',
      y: 'value',
      fill: channel,
      r: 2.5,
      title: (d: LossPoint) => `${d.series}, epoch ${d.epoch}: ${d.value.toFixed(5)}`,
    }),
  ]
}
