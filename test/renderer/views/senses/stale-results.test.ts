import { cleanup, fireEvent, render, screen } from '@testing-library/svelte'
import { afterEach, describe, expect, it, vi } from 'vitest'
import SensesView from '../../../../src/renderer/src/views/senses/SensesView.svelte'
import type { NeighboursResponse, ReverseResponse, SenseLookupResponse } from '../../../../src/shared/ipc/api-types'

afterEach(() => cleanup())

const one = (word: string) => ({ word, tokens: [{ id: 1, text: word }], policy: 'first' as const, used: [1], multiToken: false })
const lookup = (word: string): SenseLookupResponse => ({ ...one(word), text: word, senses: [] })
const neighbours: NeighboursResponse = { ...one(' nurse'), measure: 'min', neighbours: [{ id: 2, text: ' doctor', score: 0.5 }] }
const reverse: ReverseResponse = {
  target: { id: 3, text: ' she' },
  direction: 'boost',
  entries: [{ id: 4, text: ' her', sense: 1, score: 2 }],
} as ReverseResponse

function show(state: { lookup: SenseLookupResponse; neighbours?: NeighboursResponse | null; reverse?: ReverseResponse | null }) {
  const app = { info: { version: 't' }, model: { name: 'm', config: { numSenses: 4, vocabSize: 50264 } } }
  const senses = {
    other: null,
    neighbours: null,
    reverse: null,
    reverseProgress: null,
    error: null,
    loading: false,
    look: vi.fn(),
    lookOther: vi.fn(),
    findNeighbours: vi.fn(),
    findReverse: vi.fn(async () => undefined),
    ...state,
  }
  render(SensesView, { props: { app, senses, route: { params: {}, update: () => undefined } } as never })
}

describe('Senses view: results are marked stale when their inputs change', () => {
  it("neighbours of another word than the atlas's are marked stale and name their word", () => {
    show({ lookup: lookup(' nurse'), neighbours })
    expect(screen.queryByTestId('neighbours-stale')).toBeNull()
    cleanup()
    show({ lookup: lookup(' doctor'), neighbours })
    expect(screen.getByTestId('neighbours-stale').textContent).toContain('" nurse"')
    expect(screen.getByTestId('neighbours-word').classList.contains('stale')).toBe(true)
  })

  it('a reverse lookup is marked stale once its token is edited', async () => {
    show({ lookup: lookup(' nurse'), reverse })
    const input = screen.getByRole('textbox', { name: 'token' }) as HTMLInputElement
    await fireEvent.input(input, { target: { value: ' she' } })
    await fireEvent.submit(input.form!)
    expect(screen.queryByTestId('reverse-stale')).toBeNull()
    await fireEvent.input(input, { target: { value: ' he' } })
    expect(screen.getByTestId('reverse-stale').textContent).toContain('" she"')
  })
})
