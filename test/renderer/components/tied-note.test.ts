import { cleanup, render, screen } from '@testing-library/svelte'
import { afterEach, describe, expect, it } from 'vitest'
import SenseCard from '../../../src/renderer/src/components/SenseCard.svelte'
import type { SenseCard as Card } from '../../../src/shared/ipc/api-types'

afterEach(() => cleanup())

describe('SenseCard: collapsed tied entries', () => {
  it('marks the entry that stands for a tied group with its size, and the full label for screen readers and hover', () => {
    const tied = {
      size: 12232,
      sample: [
        { id: 1, text: '"' },
        { id: 3, text: '$' },
      ],
      neverSeen: true,
      label: '"\\"" and 12,231 tokens with the same embedding row (never seen in training)',
    }
    const card: Card = {
      sense: 3,
      norm: 1,
      top: [{ id: 12, text: '-', score: 2 }],
      bottom: [
        { id: 1, text: '"', score: -3, tied },
        { id: 40, text: ' penis', score: -2 },
      ],
      summary: { min: -3, max: 2, mean: 0, std: 1, histogram: { edges: [], counts: [] }, quantiles: {} },
    }
    render(SenseCard, { props: { card } })
    const notes = screen.getAllByTestId('tied-note')
    expect(notes).toHaveLength(1)
    expect(notes[0].textContent).toContain('+12,231 tied')
    expect(notes[0].getAttribute('title')).toContain(tied.label)
    expect(screen.getByText(tied.label)).toBeTruthy()
  })

  it('in a compact card, the count is short (the full label stays on hover and for screen readers)', () => {
    const tied = {
      size: 12232,
      sample: [{ id: 1, text: '"' }],
      neverSeen: true,
      label: '"\\"" and 12,231 tokens with the same embedding row (never seen in training)',
    }
    const card: Card = {
      sense: 3,
      norm: 1,
      top: [{ id: 1, text: '"', score: 2, tied }],
      bottom: [],
      summary: { min: -3, max: 2, mean: 0, std: 1, histogram: { edges: [], counts: [] }, quantiles: {} },
    }
    render(SenseCard, { props: { card, compact: true } })
    expect(screen.getByTestId('tied-note').textContent).toBe('+12K tied')
    expect(screen.getByTestId('tied-note').getAttribute('title')).toContain(tied.label)
  })
})
