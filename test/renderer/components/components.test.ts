import { cleanup, fireEvent, render, screen, within } from '@testing-library/svelte'
import { afterEach, describe, expect, it, vi } from 'vitest'
import AttributionPanel from '../../../src/renderer/src/components/AttributionPanel.svelte'
import SenseCard from '../../../src/renderer/src/components/SenseCard.svelte'
import TokenStrip from '../../../src/renderer/src/components/TokenStrip.svelte'
import type { AttributeResponse, SenseCard as Card } from '../../../src/shared/ipc/api-types'

afterEach(() => cleanup())

describe('TokenStrip', () => {
  it('shows each token with its id and reports clicks by position', async () => {
    const onselect = vi.fn()
    render(TokenStrip, {
      tokens: [
        { id: 464, text: 'The', start: 0, end: 3 },
        { id: 15849, text: ' nurse', start: 3, end: 9 },
      ],
      logProbs: [
        { position: 1, id: 15849, text: ' nurse', logProb: -3.2, rank: 4, alternatives: [{ id: 1, text: ' man', prob: 0.2, logit: 1 }] },
      ],
      onselect,
    })
    const buttons = screen.getAllByRole('button')
    expect(buttons.map((b) => b.querySelector('.id')!.textContent)).toEqual(['464', '15849'])
    expect(buttons[1].title).toContain('log p = -3.200')
    expect(buttons[1].title).toContain('" man" 20.0%')
    expect(buttons[0]).toHaveProperty('disabled', true) // position 0 has no prediction
    await fireEvent.click(buttons[1])
    expect(onselect).toHaveBeenCalledWith(1)
  })
})

describe('SenseCard', () => {
  it('lists top and bottom tokens with scores', () => {
    const card: Card = {
      sense: 10,
      norm: 3,
      top: [{ id: 5, text: ' professional', score: 12.21 }],
      bottom: [{ id: 6, text: ' himself', score: -13.38 }],
      summary: { min: -13.38, max: 12.21, mean: 0, std: 1, histogram: { edges: [-13.38, 0, 12.21], counts: [10, 12] }, quantiles: {} },
    }
    render(SenseCard, { card })
    expect(screen.getByRole('heading').textContent).toBe('Sense 10')
    expect(screen.getByRole('list', { name: 'Top tokens' }).textContent).toContain('" professional" 12.21')
    expect(screen.getByRole('list', { name: 'Bottom tokens' }).textContent).toContain('" himself" -13.38')
    expect(screen.getByRole('img').querySelector('svg')).not.toBeNull() // the sparkline
  })
})

describe('AttributionPanel', () => {
  const attribution: AttributeResponse = {
    position: 1,
    target: { id: 531, text: ' said' },
    logit: 0.5,
    total: 0.5,
    edited: false,
    contributions: [
      { position: 0, tokenId: 464, text: 'The', sense: 1, value: -2 },
      { position: 1, tokenId: 15849, text: ' nurse', sense: 0, value: 1.5 },
      { position: 0, tokenId: 464, text: 'The', sense: 0, value: 1 },
    ],
  }

  it('sorts the contribution table by |value| and then by the clicked column', async () => {
    render(AttributionPanel, { attribution })
    const values = () =>
      screen
        .getAllByRole('row')
        .slice(1)
        .map((r) => r.lastElementChild!.textContent)
    expect(values()).toEqual(['-2.0000', '1.5000', '1.0000'])
    await fireEvent.click(screen.getByRole('button', { name: /^\|value\|/ }))
    expect(values()).toEqual(['1.0000', '1.5000', '-2.0000'])
    await fireEvent.click(screen.getByRole('button', { name: /^sense/ }))
    expect(
      screen
        .getAllByRole('row')
        .slice(1)
        .map((r) => r.children[2].textContent),
    ).toEqual(['1', '0', '0'])
  })
})

describe('AttributionPanel at T = 512', () => {
  it('keeps only a window of the 8192 contribution rows in the DOM, and scrolls through them', async () => {
    const contributions = Array.from({ length: 16 * 512 }, (_, i) => ({
      position: i % 512,
      tokenId: 1,
      text: 'x',
      sense: Math.floor(i / 512),
      value: (i + 1) / 1000,
    }))
    const { container } = render(AttributionPanel, {
      attribution: { position: 511, target: { id: 2, text: 'y' }, logit: 1, total: 1, edited: false, contributions },
    })
    const region = within(container).getByRole('region', { name: 'Contributions' })
    const dataRows = () => [...container.querySelectorAll('tbody tr:not(.spacer)')]
    expect(dataRows().length).toBeLessThan(60)
    expect(dataRows()[0].lastElementChild!.textContent).toBe('8.1920') // largest |value| first
    region.scrollTop = 24 * 4000
    await fireEvent.scroll(region)
    const shown = dataRows().map((r) => Number(r.lastElementChild!.textContent))
    expect(shown).toContain((8192 - 4000) / 1000)
    expect(dataRows().length).toBeLessThan(60)
  })
})
