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
  neighbours: [{ id: 2, text: ' x', score: 0.5 }],
})
const reverse: ReverseResponse = {
  target: { id: 3, text: ' she' },
  direction: 'boost',
  entries: [{ id: 4, text: ' her', sense: 1, score: 2 }],
} as ReverseResponse

describe('SensesState: results belong to a word', () => {
  it("looking up another word clears the previous word's neighbours and reverse lookup", async () => {
    const { client } = fakeClient({
      'senses.lookup': ({ word }) => ok(lookup(word)),
      'senses.neighbours': ({ word }) => ok(neighbours(word)),
      'senses.reverse': () => ok(reverse),
    })
    const s = new SensesState(client)
    await s.look(' nurse')
    await s.findNeighbours(' nurse', 'min')
    await s.findReverse(' she')
    expect(s.neighbours?.word).toBe(' nurse')
    expect(s.reverse).not.toBeNull()
    await s.look(' nurse', 10, 'mean') // the same word again keeps them
    expect(s.neighbours?.word).toBe(' nurse')
    await s.look(' doctor')
    expect(s.lookup?.word).toBe(' doctor')
    expect(s.neighbours).toBeNull()
    expect(s.reverse).toBeNull()
  })

  it('a failed lookup shows no old atlas under the new word', async () => {
    const { client } = fakeClient({
      'senses.lookup': ({ word }) =>
        word === ' nurse' ? ok(lookup(word)) : { ok: false, error: { code: 'not-found', message: 'no such token' } },
    })
    const s = new SensesState(client)
    await s.look(' nurse')
    await s.look('zzzz')
    expect(s.lookup).toBeNull()
    expect(s.error?.code).toBe('not-found')
  })

  it('dispose() stops listening to progress events', async () => {
    let finish!: () => void
    const f = fakeClient({ 'senses.reverse': () => new Promise((r) => (finish = () => r(ok(reverse)))) })
    const s = new SensesState(f.client)
    const pending = s.findReverse(' she')
    const runId = (f.calls[0].request as { runId: string }).runId
    f.emit('run.progressed', { runId, method: 'senses.reverse', done: 1, total: 4 })
    expect(s.reverseProgress).toEqual({ done: 1, total: 4 })
    s.dispose()
    f.emit('run.progressed', { runId, method: 'senses.reverse', done: 2, total: 4 })
    expect(s.reverseProgress).toEqual({ done: 1, total: 4 })
    finish()
    await pending
  })
})
