import { cleanup, render, screen } from '@testing-library/svelte'
import { afterEach, describe, expect, it } from 'vitest'
import SensesView from '../../../../src/renderer/src/views/senses/SensesView.svelte'
import type { SenseLookupResponse } from '../../../../src/shared/ipc/api-types'

afterEach(() => cleanup())

function show(lookup: SenseLookupResponse) {
  const app = { info: { version: 't' }, available: () => true, model: { name: 'm', config: { numSenses: 4, vocabSize: 50264 } } }
  const senses = { lookup, other: null, neighbours: null, reverse: null, reverseProgress: null, error: null, loading: false, look: async () => undefined, lookOther: async () => undefined }
  const route = { params: {}, update: () => undefined }
  render(SensesView, { props: { app, senses, route } as never })
}

describe('Senses view: the atlas header', () => {
  it('says "multi-token word: policy first" for a word of several tokens (senses.lookup multiToken), nothing for one token', () => {
    // " xoxoxo" is the GPT-2 tokens " x", "ox", "ox", "o": a token id may repeat within a word
    const tokens = [{ id: 2124, text: ' x' }, { id: 1140, text: 'ox' }, { id: 1140, text: 'ox' }, { id: 78, text: 'o' }]
    show({ word: 'xoxoxo', text: ' xoxoxo', tokens, policy: 'first', used: [2124], multiToken: true, senses: [] })
    expect(screen.getByTestId('sense-multi-token').textContent).toBe('multi-token word: policy first')
    expect(screen.getAllByText('"ox"=1140')).toHaveLength(2)
    cleanup()
    show({ word: ' nurse', text: ' nurse', tokens: [{ id: 15849, text: ' nurse' }], policy: 'first', used: [15849], multiToken: false, senses: [] })
    expect(screen.queryByTestId('sense-multi-token')).toBeNull()
    expect(screen.getByText('" nurse"=15849')).toBeTruthy()
  })
})
