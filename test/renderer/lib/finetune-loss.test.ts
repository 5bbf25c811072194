import * as Plot from '@observablehq/plot'
import { describe, expect, it } from 'vitest'
import { backgroundChartOptions, lossChartOptions, lossPoints } from '../../../src/renderer/src/lib/plots/finetune-loss'

const f = (epoch: number, c: number, bg: number) => ({
  epoch,
  epochs: 4,
  canonicalLoss: c,
  objective: c + 0.5,
  kl: 0.01,
  backgroundNll: bg,
})

describe('fine-tuning loss chart', () => {
  it('puts the original model at epoch 0 and one point per series per epoch', () => {
    const pts = lossPoints({ canonicalLoss: 6, objective: 6, kl: 0, backgroundNll: 4 }, [f(1, 3, 4.001), f(2, 1, 4.002)])
    expect(pts.filter((p) => p.series === 'canonical loss').map((p) => [p.epoch, p.value])).toEqual([
      [0, 6],
      [1, 3],
      [2, 1],
    ])
    expect(pts.filter((p) => p.series === 'objective').map((p) => p.value)).toEqual([6, 3.5, 1.5])
    expect(lossPoints(null, [f(1, 3, 4)]).map((p) => p.epoch)).toEqual([1, 1, 1]) // live: no epoch 0 yet
  })

  it('spans every epoch asked for, and the background panel holds the ball limit and the original value', () => {
    const pts = lossPoints({ canonicalLoss: 6, objective: 6, kl: 0, backgroundNll: 4 }, [f(1, 3, 4.001)])
    const loss = lossChartOptions(pts, 4)
    expect(loss.x?.domain).toEqual([0, 4])
    const bg = backgroundChartOptions(pts, 4, 4.004)
    const [lo, hi] = bg.y?.domain as [number, number]
    expect(lo).toBeLessThan(4)
    expect(hi).toBeGreaterThan(4.004)
    const svg = Plot.plot(bg) as unknown as SVGSVGElement
    expect(svg.querySelectorAll('[aria-label="rule"] line, g[aria-label="rule"] line').length).toBe(2) // original + limit
    expect(Plot.plot(loss)).toBeTruthy()
    // a flat curve still gets a non-empty y range
    const flat = backgroundChartOptions(lossPoints(null, [f(1, 3, 4)]), 4, null).y?.domain as [number, number]
    expect(flat[1]).toBeGreaterThan(flat[0])
  })
})
