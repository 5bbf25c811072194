import { cleanup, fireEvent, render, screen, within } from '@testing-library/svelte'
import { afterEach, describe, expect, it } from 'vitest'
import AlphaHeatmap from '../../../src/renderer/src/components/AlphaHeatmap.svelte'
import { alphaColor, labelledPositions, tokenLabel } from '../../../src/renderer/src/lib/plots/alpha-heatmap'

afterEach(() => {
  cleanup()
  delete document.documentElement.dataset.theme
})

function matrix(n: number) {
  const values = new Float32Array(n * n)
  for (let q = 0; q < n; q++) for (let k = 0; k <= q; k++) values[q * n + k] = 1 / (q + 1)
  return { sense: 3, n, tokens: Array.from({ length: n }, (_, i) => ({ id: i, text: i === 1 ? ' Pennsylvania' : ` t${i}` })), values }
}

describe('α heatmap', () => {
  it('labels both axes with tokens: all of a short prompt, at most 33 of 512, always the first and last', () => {
    render(AlphaHeatmap, { matrix: matrix(4) })
    for (const id of ['alpha-key-labels', 'alpha-query-labels']) {
      expect(
        within(screen.getByTestId(id))
          .getAllByRole('listitem')
          .map((l) => l.textContent),
      ).toEqual(['0 " t0"', '1 " Pennsylva…', '2 " t2"', '3 " t3"'])
    }
    expect(within(screen.getByTestId('alpha-key-labels')).getAllByRole('listitem')[1].title).toBe('" Pennsylvania"') // full token on hover
    cleanup()
    render(AlphaHeatmap, { matrix: matrix(512) })
    const labels = within(screen.getByTestId('alpha-query-labels')).getAllByRole('listitem')
    expect(labels.length).toBeLessThanOrEqual(33)
    expect(labels[0].textContent).toBe('0 " t0"')
    expect(labels.at(-1)!.textContent).toBe('511 " t511"')
    expect(labelledPositions(512)).toHaveLength(33)
    expect(tokenLabel(7, 'x')).toBe('7 "x"')
  })

  it('has a colour scale, and reads values out by keyboard', async () => {
    render(AlphaHeatmap, { matrix: matrix(4) })
    expect(screen.getByTestId('alpha-legend').querySelectorAll('.swatch').length).toBeGreaterThan(3)
    const canvas = screen.getByTestId('alpha-heatmap')
    expect(canvas.tabIndex).toBe(0)
    await fireEvent.keyDown(canvas, { key: 'ArrowRight' }) // from the last row, first column: (3, 1)
    expect(screen.getByTestId('alpha-readout').textContent).toContain('query 3 " t3" ← key 1 " Pennsylvania" = 0.2500')
    await fireEvent.keyDown(canvas, { key: 'Escape' })
    expect(screen.getByTestId('alpha-readout').textContent).toContain('sense 3')
  })

  it('colours follow the theme: white → accent in light, dark background → light accent in dark', () => {
    expect(alphaColor(0, 'light')).toEqual([255, 255, 255])
    expect(alphaColor(1, 'light')).toEqual([36, 88, 198])
    expect(alphaColor(0, 'dark')).toEqual([21, 24, 28])
    expect(alphaColor(1, 'dark')).toEqual([122, 167, 255])
    expect(alphaColor(0.25, 'light')).toEqual(alphaColor(0.5 * 0.5, 'light'))
    expect(alphaColor(Number.NaN, 'dark')).toEqual([21, 24, 28])
  })
})
