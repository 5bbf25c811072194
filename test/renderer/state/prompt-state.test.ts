import { describe, expect, it } from 'vitest'
import { PromptState } from '../../../src/renderer/src/state/prompt-state.svelte'
import type { PromptToken } from '../../../src/shared/ipc/api-types'
import { fakeClient, ok } from '../fake-client'

const tok = (id: number, text: string, start: number): PromptToken => ({ id, text, start, end: start + text.length })

describe('PromptState', () => {
  it('keeps the tokens of the latest text when answers arrive out of order', async () => {
    const gates: Record<string, () => void> = {}
    const { client } = fakeClient({
      'tokens.encode': ({ text }) =>
        new Promise((resolve) => {
          gates[text] = () => resolve(ok({ tokens: [tok(text.length, text, 0)] }))
        }),
    })
    const state = new PromptState(client)
    const first = state.setText('The')
    const second = state.setText('The nurse')
    gates['The nurse']()
    await second
    gates['The']()
    await first
    expect(state.text).toBe('The nurse')
    expect(state.tokens.map((t) => t.text)).toEqual(['The nurse'])
  })

  it('sends edits only when there are some, and keeps errors typed', async () => {
    const { client, calls } = fakeClient({
      'predict.next': () => ({ ok: false, error: { code: 'too-long', message: '600 tokens' } }),
    })
    const state = new PromptState(client)
    await state.setText('hi')
    await state.predict({ format: 'backpack-sense-edits', version: 1, edits: [] })
    expect(calls.at(-1)).toEqual({ method: 'predict.next', request: { text: 'hi', topK: 10 } })
    const doc = {
      format: 'backpack-sense-edits' as const,
      version: 1 as const,
      edits: [{ kind: 'scale-sense' as const, token: 1, factor: 0 }],
    }
    await state.predict(doc)
    expect(calls.at(-1)!.request).toEqual({ text: 'hi', topK: 10, edits: doc })
    expect(state.error).toEqual({ code: 'too-long', message: '600 tokens' })
    expect(state.busy).toBe(false)
  })
})
