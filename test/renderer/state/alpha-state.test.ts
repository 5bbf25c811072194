import { describe, expect, it } from 'vitest'
import { AlphaState } from '../../../src/renderer/src/state/alpha-state.svelte'
import { fakeClient, ok } from '../fake-client'

const b64 = (values: number[]) => btoa(String.fromCharCode(...new Uint8Array(new Float32Array(values).buffer)))

describe('AlphaState', () => {
  it('decodes α, names the prompt and sense it belongs to, and drops the answer for an older prompt', async () => {
    const answers: Record<string, () => void> = {}
    const { client } = fakeClient({
      'predict.contextualization': ({ text, sense }) =>
        new Promise((resolve) => {
          answers[text] = () =>
            resolve(ok({ sense: sense ?? 0, numSenses: 4, n: 1, tokens: [{ id: 1, text }], alpha: b64([text === 'new' ? 1 : 0.5]) }))
        }),
    })
    const a = new AlphaState(client)
    a.sense = 2
    const old = a.load('old')
    const fresh = a.load('new')
    answers.new()
    await fresh
    answers.old()
    await old
    expect(a.about).toEqual({ text: 'new', sense: 2 })
    expect(Array.from(a.matrix!.values)).toEqual([1])
  })

  it('an error clears the old matrix instead of leaving it under the new prompt', async () => {
    let fail = false
    const { client } = fakeClient({
      'predict.contextualization': ({ text }) =>
        fail
          ? { ok: false, error: { code: 'bad-request', message: 'too long' } }
          : ok({ sense: 0, numSenses: 4, n: 1, tokens: [{ id: 1, text }], alpha: b64([1]) }),
    })
    const a = new AlphaState(client)
    await a.load('a')
    fail = true
    await a.load('b')
    expect(a.matrix).toBeNull()
    expect(a.error?.code).toBe('bad-request')
  })
})
