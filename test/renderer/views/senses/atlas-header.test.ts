import { cleanup, fireEvent, render, screen } from '@testing-library/svelte'
import { afterEach, describe, expect, it, vi } from 'vitest'
import SensesView from '../../../../src/renderer/src/views/senses/SensesView.svelte'
import type { SenseLookupResponse } from '../../../../src/shared/ipc/api-types'

afterEach(() => cleanup())

function show(lookup: SenseLookupResponse, other: SenseLookupResponse | null = null) {
  const app = { info: { version: 't' }, model: { name: 'm', config: { numSenses: 4, vocabSize: 50264 } } }
  const look = vi.fn(async () => undefined)
  const lookOther = vi.fn(async () => undefined)
  const senses = { lookup, other, neighbours: null, reverse: null, reverseProgress: null, error: null, loading: false, look, lookOther }
  const route = { params: {}, update: () => undefined }
  render(SensesView, { props: { app, senses, route } as never })
  return { look, lookOther }
}

describe('Senses view: the atlas header', () => {
  it('says "multi-token word: policy first" for a word of several tokens (senses.lookup multiToken), nothing for one token', () => {
    // " xoxoxo" is the GPT-2 tokens " x", "ox", "ox", "o": a token id may repeat within a word
    const tokens = [
      { id: 2124, text: ' x' },
      { id: 1140, text: 'ox' },
      { id: 1140, text: 'ox' },
      { id: 78, text: 'o' },
    ]
    show({ word: 'xoxoxo', text: ' xoxoxo', tokens, policy: 'first', used: [2124], multiToken: true, senses: [] })
    expect(screen.getByTestId('sense-multi-token').textContent).toBe('multi-token word: policy first')
    expect(screen.getAllByText('"ox"=1140')).toHaveLength(2)
    cleanup()
    show({
      word: ' nurse',
      text: ' nurse',
      tokens: [{ id: 15849, text: ' nurse' }],
      policy: 'first',
      used: [15849],
      multiToken: false,
      senses: [],
    })
    expect(screen.queryByTestId('sense-multi-token')).toBeNull()
    expect(screen.getByText('" nurse"=15849')).toBeTruthy()
  })

  it('offers a policy selector (first / mean) only for a multi-token word; choosing one looks the word (and the side-by-side word) up again with it', async () => {
    const tokens = [
      { id: 2124, text: ' x' },
      { id: 1140, text: 'ox' },
      { id: 1140, text: 'ox' },
      { id: 78, text: 'o' },
    ]
    const multi: SenseLookupResponse = {
      word: 'xoxoxo',
      text: ' xoxoxo',
      tokens,
      policy: 'first',
      used: [2124],
      multiToken: true,
      senses: [],
    }
    const doctor: SenseLookupResponse = {
      word: ' doctor',
      text: ' doctor',
      tokens: [{ id: 6253, text: ' doctor' }],
      policy: 'first',
      used: [6253],
      multiToken: false,
      senses: [],
    }
    const { look, lookOther } = show(multi, doctor)
    const select = screen.getByTestId('sense-policy') as HTMLSelectElement
    expect(select.value).toBe('first')
    expect(Array.from(select.options, (o) => o.value)).toEqual(['first', 'mean'])
    await fireEvent.change(select, { target: { value: 'mean' } })
    expect(look).toHaveBeenCalledWith('xoxoxo', 10, 'mean')
    expect(lookOther).toHaveBeenCalledWith(' doctor', 10, 'mean')
    cleanup()
    // the reply for policy mean shows mean selected
    show({ ...multi, policy: 'mean', used: [2124, 1140, 1140, 78] })
    expect((screen.getByTestId('sense-policy') as HTMLSelectElement).value).toBe('mean')
    cleanup()
    show({
      word: ' nurse',
      text: ' nurse',
      tokens: [{ id: 15849, text: ' nurse' }],
      policy: 'first',
      used: [15849],
      multiToken: false,
      senses: [],
    })
    expect(screen.queryByTestId('sense-policy')).toBeNull()
  })
})
