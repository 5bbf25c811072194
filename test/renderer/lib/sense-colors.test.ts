import { cleanup, render, screen } from '@testing-library/svelte'
import { afterEach, describe, expect, it } from 'vitest'
import AttributionPanel from '../../../src/renderer/src/components/AttributionPanel.svelte'
import GeneratedText from '../../../src/renderer/src/components/GeneratedText.svelte'
import SenseLegend from '../../../src/renderer/src/components/SenseLegend.svelte'
import { SENSE_COLORS, senseColor, senseColorScale, senseTint } from '../../../src/renderer/src/lib/sense-colors'
import type { GenerationView } from '../../../src/shared/ipc/api-types'

afterEach(() => cleanup())

const rgb = (hex: string) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16))

describe('sense colours', () => {
  it('has 16 distinct colours, pairwise far apart (no two senses of a Backpack look alike)', () => {
    expect(new Set(SENSE_COLORS).size).toBe(16)
    const senses = Array.from({ length: 16 }, (_, s) => senseColor(s))
    expect(new Set(senses).size).toBe(16)
    let closest = Infinity
    for (let i = 0; i < 16; i++)
      for (let j = i + 1; j < 16; j++) {
        const [a, b] = [rgb(senses[i]), rgb(senses[j])]
        closest = Math.min(closest, Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]))
      }
    expect(closest).toBeGreaterThan(45)
    expect(senseColorScale(16).range).toEqual(senses)
    expect(senseTint(0, 0.5)).toBe('rgba(0, 103, 165, 0.50)')
  })

  it('the attribution chart draws senses 0 and 10 in different colours, with a legend', () => {
    const contributions = [0, 10].map((sense, i) => ({ position: i, tokenId: 1, text: 'x', sense, value: 1 }))
    const { container } = render(AttributionPanel, {
      attribution: { position: 1, target: { id: 2, text: 'y' }, logit: 2, total: 2, edited: false, contributions },
    })
    const fills = [...container.querySelectorAll('svg g[aria-label="bar"] rect')].map((r) => r.getAttribute('fill'))
    expect(fills).toEqual([senseColor(0), senseColor(10)])
    expect(container.querySelector('[class*="swatches"]')?.textContent).toContain('10') // Plot's legend names the senses
  })

  it('the generation tint uses the same colours, and a legend names the senses shown', () => {
    const generation: GenerationView = {
      text: 'ab',
      tokens: [
        { id: 1, text: 'a', position: 0, logProb: -1, dominant: { tokenId: 5, text: 'p', sense: 0, share: 1 } },
        { id: 2, text: 'b', position: 1, logProb: -1, dominant: { tokenId: 5, text: 'p', sense: 10, share: 1 } },
      ],
      stopReason: 'length',
      tokensPerSecond: 1,
    } as unknown as GenerationView
    const { container } = render(GeneratedText, { title: 'Edited', generation })
    const bg = [...container.querySelectorAll<HTMLElement>('.t')].map((t) => t.style.background)
    expect(bg[0]).not.toBe(bg[1])
    expect(bg[0]).toContain('0, 103, 165')
    cleanup()
    render(SenseLegend, { senses: [0, 10] })
    expect([...screen.getByTestId('sense-legend').querySelectorAll('[data-sense]')].map((e) => e.textContent)).toEqual(['0', '10'])
  })
})
