import { cleanup, fireEvent, render, screen } from '@testing-library/svelte'
import { afterEach, describe, expect, it, vi } from 'vitest'
import SensesView from '../../../../src/renderer/src/views/senses/SensesView.svelte'
import type { NeighboursResponse, ReverseResponse, SenseLookupResponse } from '../../../../src/shared/ipc/api-types'

afterEach(() => cleanup())

// " xoxoxo" is the GPT-2 tokens " x", "ox", "ox", "o"
const tokens = [
  { id: 2124, text: ' x' },
  { id: 1140, text: 'ox' },
  { id: 1140, text: 'ox' },
  { id: 78, text: 'o' },
]
const lookup: SenseLookupResponse = {
  word: 'xoxoxo',
  text: ' xoxoxo',
  tokens,
  policy: 'mean',
  used: [2124, 1140, 1140, 78],
  multiToken: true,
  senses: [],
}
const multiNeighbours: NeighboursResponse = {
  word: 'xoxoxo',
  tokens,
  policy: 'mean',
  used: [2124, 1140, 1140, 78],
  multiToken: true,
  measure: 'min',
  neighbours: [{ id: 5, text: 'f', score: 0.5 }],
}

function show(
  state: { lookup?: SenseLookupResponse | null; neighbours?: NeighboursResponse | null; reverse?: ReverseResponse | null },
  route: Record<string, string> = {},
) {
  const app = { info: { version: 't' }, model: { name: 'm', config: { numSenses: 4, vocabSize: 50264 } } }
  const senses = {
    lookup: null,
    other: null,
    neighbours: null,
    reverse: null,
    reverseProgress: null,
    error: null,
    loading: false,
    ...state,
    look: vi.fn(async () => undefined),
    lookOther: vi.fn(async () => undefined),
    findNeighbours: vi.fn(async () => undefined),
    findReverse: vi.fn(async () => undefined),
  }
  render(SensesView, { props: { app, senses, route: { params: route, update: () => undefined } } as never })
  return senses
}

describe('Senses view: the tokens and policy beside a word', () => {
  it('neighbours of a multi-token word say its tokens and the policy; a one-token word says no policy', () => {
    show({ neighbours: multiNeighbours })
    expect(screen.getByTestId('neighbours-multi-token').textContent).toBe('multi-token word: policy mean')
    expect(screen.getByTestId('neighbours-word').textContent).toContain('"ox"=1140')
    cleanup()
    show({
      neighbours: {
        word: ' nurse',
        tokens: [{ id: 15849, text: ' nurse' }],
        policy: 'first',
        used: [15849],
        multiToken: false,
        measure: 2,
        neighbours: [],
      },
    })
    expect(screen.queryByTestId('neighbours-multi-token')).toBeNull()
    expect(screen.getByTestId('neighbours-word').textContent).toContain('" nurse"=15849')
  })

  it('finds the neighbours of the atlas word with the atlas policy, and follows a policy change', async () => {
    const senses = show({ lookup, neighbours: multiNeighbours }, { word: 'xoxoxo' })
    await fireEvent.click(screen.getByRole('button', { name: /Find neighbours/ }))
    expect(senses.findNeighbours).toHaveBeenLastCalledWith('xoxoxo', 'min', 10, 'mean')
    await fireEvent.change(screen.getByTestId('sense-policy'), { target: { value: 'first' } })
    expect(senses.look).toHaveBeenCalledWith('xoxoxo', 10, 'first')
    expect(senses.findNeighbours).toHaveBeenLastCalledWith('xoxoxo', 'min', 10, 'first')
  })

  it('reverse lookup names its single target token', () => {
    show({ reverse: { target: { id: 673, text: ' she' }, direction: 'boost', entries: [{ id: 339, text: ' he', sense: 1, score: 2 }] } })
    expect(screen.getByTestId('reverse-target').textContent).toContain('" she"=673')
  })
})
