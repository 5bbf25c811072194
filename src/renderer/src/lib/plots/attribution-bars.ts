import * as Plot from '@observablehq/plot'
import type { Contribution } from '../../../../shared/ipc/api-types'
import { senseColorScale } from '../sense-colors'

/** A source position's label on the attribution chart: its index and its token. */
export const positionLabel = (c: Contribution) => `${c.position}: ${JSON.stringify(c.text)}`

/**
 * Stacked per-sense contributions to one logit, one bar per source position (the positions given,
 * in order), coloured by sense with the app's one sense palette.
 */
export function attributionBarsOptions(data: readonly Contribution[], numSensesShown: number): Plot.PlotOptions {
  const order = [...new Set(data.map((c) => c.position))].sort((a, b) => a - b)
  const labels = new Map(data.map((c) => [c.position, positionLabel(c)]))
  return {
    marginLeft: 120,
    height: 40 + order.length * 22,
    x: { label: 'contribution to the logit', grid: true },
    y: { domain: order.map((p) => labels.get(p)!), label: null },
    color: senseColorScale(numSensesShown),
    marks: [
      Plot.barX(
        data,
        Plot.stackX({ y: positionLabel, x: 'value', fill: 'sense', title: (c: Contribution) => `sense ${c.sense}: ${c.value.toFixed(4)}` }),
      ),
      Plot.ruleX([0]),
    ],
  }
}
