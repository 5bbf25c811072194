import { describe, expect, it } from 'vitest'
import { SensesState } from '../../../src/renderer/src/state/senses-state.svelte'
import type { NeighboursResponse, ReverseResponse, SenseLookupResponse } from '../../../src/shared/ipc/api-types'
import { fakeClient, ok } from '../fake-client'

const lookup = (word: string): SenseLookupResponse => ({
  word,
  text: word,
  tokens: [{ id: 1, text: word }],
  policy: 'first',
  used: [1],
  multiToken: false,
  senses: [],
})
const neighbours = (word: string): NeighboursResponse => ({
  word,
  tokens: [{ id: 1, text: word }],
  policy: 'first',
  used: [1],
  multiToken: false,
  measure: 'min',
  neighbours: [],
})
const reverse: ReverseResponse = { target: { id: 3, text: ' she' }, direction: 'boost', entries: [] }

describe('SensesState: the ties toggle', () => {
  it('leaves the default (collapse) to the server and asks for ties: "show" on every lookup once toggled', async () => {
    const seen: { method: string; ties: unknown }[] = []
    const { client } = fakeClient({
      'senses.lookup': (r) => (seen.push({ method: 'lookup', ties: (r as { ties?: unknown }).ties }), ok(lookup(r.word))),
      'senses.neighbours': (r) => (seen.push({ method: 'neighbours', ties: (r as { ties?: unknown }).ties }), ok(neighbours(r.word))),
      'senses.reverse': (r) => (seen.push({ method: 'reverse', ties: (r as { ties?: unknown }).ties }), ok(reverse)),
    })
    const s = new SensesState(client)
    expect(s.ties).toBe('collapse')
    await s.look(' nurse')
    s.ties = 'show'
    await s.look(' nurse')
    await s.findNeighbours(' nurse', 'min')
    await s.findReverse(' she')
    expect(seen).toEqual([
      { method: 'lookup', ties: undefined },
      { method: 'lookup', ties: 'show' },
      { method: 'neighbours', ties: 'show' },
      { method: 'reverse', ties: 'show' },
    ])
  })
})
