import { cleanup, fireEvent, render, screen, within } from '@testing-library/svelte'
import { afterEach, describe, expect, it, vi } from 'vitest'
import SensesView from '../../../../src/renderer/src/views/senses/SensesView.svelte'
import type { SenseCard, SenseLookupResponse } from '../../../../src/shared/ipc/api-types'

afterEach(() => cleanup())

const card = (sense: number): SenseCard => ({
  sense,
  norm: 1,
  top: Array.from({ length: 10 }, (_, i) => ({
    id: 100 * sense + i,
    text: i === 0 ? ' Pennsylvania' : ` top${sense}_${i}`,
    score: 10 - i,
  })),
  bottom: Array.from({ length: 10 }, (_, i) => ({ id: 100 * sense + 50 + i, text: ` bot${sense}_${i}`, score: -10 + i })),
  summary: { min: -10, max: 10, mean: 0, std: 1, histogram: { edges: [-10, 0, 10], counts: [5, 5] }, quantiles: {} },
})
const lookup: SenseLookupResponse = {
  word: ' nurse',
  text: ' nurse',
  tokens: [{ id: 15849, text: ' nurse' }],
  policy: 'first',
  used: [15849],
  multiToken: false,
  senses: Array.from({ length: 16 }, (_, s) => card(s)),
}

function show(params: Record<string, string> = {}) {
  const app = { info: { version: 't' }, model: { name: 'm', config: { numSenses: 16, vocabSize: 50264 } } }
  const senses = {
    lookup,
    other: null,
    neighbours: null,
    reverse: null,
    reverseProgress: null,
    error: null,
    loading: false,
    look: vi.fn(),
    lookOther: vi.fn(),
    findNeighbours: vi.fn(),
    findReverse: vi.fn(),
  }
  const update = vi.fn()
  render(SensesView, { props: { app, senses, route: { params, update } } as never })
  return update
}

describe('Senses view: fits a laptop screen', () => {
  it('shows 16 compact cards (5 tokens a list, no histogram) and the selected sense in full with its histogram', () => {
    show({ sense: '3' })
    const cards = screen.getAllByTestId('sense-card')
    expect(cards).toHaveLength(16)
    expect(within(cards[0]).getByRole('list', { name: 'Top tokens' }).children).toHaveLength(5)
    expect(cards[0].querySelector('svg')).toBeNull()
    const detail = screen.getByTestId('sense-detail')
    expect(detail.dataset.sense).toBe('3')
    expect(within(detail).getByRole('list', { name: 'Top tokens' }).children).toHaveLength(10)
    expect(detail.querySelector('svg')).not.toBeNull()
    expect(cards[3].classList.contains('selected')).toBe(true)
    // neighbours and reverse lookup sit beside the atlas, not below it
    expect(screen.getByRole('complementary', { name: 'Nearest senses and reverse lookup' })).toBeTruthy()
  })

  it('selecting a sense (keyboard-reachable button) puts it in the URL', async () => {
    const update = show()
    await fireEvent.click(screen.getByRole('button', { name: 'Sense 7' }))
    expect(update).toHaveBeenCalledWith({ sense: '7' })
  })

  it('every token links to its own atlas and shows the full token on hover', () => {
    show()
    const link = within(screen.getAllByTestId('sense-card')[0]).getAllByRole('link')[0] as HTMLAnchorElement
    expect(link.getAttribute('href')).toBe('#/senses?word=%20Pennsylvania')
    expect(link.parentElement!.title).toContain('" Pennsylvania"')
  })
})
