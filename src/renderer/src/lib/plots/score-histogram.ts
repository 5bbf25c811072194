import * as Plot from '@observablehq/plot'
import type { SenseCard } from '../../../../shared/ipc/api-types'

interface Bin {
  x1: number
  x2: number
  c: number
}

/** The histogram of one sense's scores over the vocabulary (a small, sqrt-scaled figure); null when it has no bins. */
export function scoreHistogramOptions(histogram: SenseCard['summary']['histogram']): Plot.PlotOptions | null {
  const { edges, counts } = histogram
  if (counts.length === 0) return null
  const bins: Bin[] = counts.map((c, i) => ({ x1: edges[i], x2: edges[i + 1], c }))
  return {
    width: 260,
    height: 90,
    margin: 2,
    marginBottom: 26,
    x: { ticks: 4, tickSize: 2, label: 'score (logit contribution)', labelAnchor: 'center' },
    y: { axis: null, type: 'sqrt' },
    marks: [
      Plot.rectY(bins, {
        x1: 'x1',
        x2: 'x2',
        y: 'c',
        fill: 'currentColor',
        fillOpacity: 0.6,
        title: (b: Bin) => `${b.c} tokens in [${b.x1.toFixed(2)}, ${b.x2.toFixed(2)})`,
      }),
    ],
  }
}
