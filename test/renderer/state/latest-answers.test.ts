import { cleanup, render, screen, waitFor } from '@testing-library/svelte'
import { tick } from 'svelte'
import { afterEach, describe, expect, it } from 'vitest'
import PromptView from '../../../src/renderer/src/views/prompt/PromptView.svelte'
import { GenerateState } from '../../../src/renderer/src/state/generate-state.svelte'
import { EditsState } from '../../../src/renderer/src/state/edits-state.svelte'
import { PromptState } from '../../../src/renderer/src/state/prompt-state.svelte'
import { SuitesState } from '../../../src/renderer/src/state/suites-state.svelte'
import type { SenseEditDocument } from '../../../src/shared/edits/sense-edits'
import type { Result } from '../../../src/shared/errors'
import type { GenerateResponse, KnowledgeEditView, PredictResponse } from '../../../src/shared/ipc/api-types'
import { fakeClient, ok } from '../fake-client'

afterEach(() => cleanup())

function deferred<T>() {
  let resolve!: (v: T) => void
  const promise = new Promise<T>((r) => (resolve = r))
  return { promise, resolve }
}

const none: SenseEditDocument = { format: 'backpack-sense-edits', version: 1, edits: [] }
const one: SenseEditDocument = { ...none, edits: [{ kind: 'scale-sense', token: ' nurse', sense: 3, factor: 0 }] }
const gen = (text: string) =>
  ({
    prompt: text,
    settings: { strategy: 'greedy', maxNewTokens: 4 },
    baseline: { text },
    edited: null,
    firstDifference: null,
  }) as unknown as GenerateResponse

describe('Prompt, Generate and Suites keep only the latest answer', () => {
  it('Generate: an answer to an earlier run that arrives last is dropped; an error replaces the old result', async () => {
    const slow = deferred<Result<GenerateResponse>>()
    const answers: (() => Result<GenerateResponse> | Promise<Result<GenerateResponse>>)[] = [
      () => slow.promise,
      () => ok(gen('second')),
      () => ({ ok: false, error: { code: 'too-long', message: 'x' } }),
    ]
    const { client } = fakeClient({ 'generate.run': () => answers.shift()!() })
    const g = new GenerateState(client)
    const first = g.run('first', none)
    expect(g.running).toBe(true)
    await g.run('second', one)
    slow.resolve(ok(gen('first')))
    await first
    expect(g.result?.prompt).toBe('second')
    expect(g.about).toEqual({ text: 'second', edits: one })
    expect(g.request).toEqual({ text: 'second', maxNewTokens: 32, strategy: 'greedy', edits: one })
    expect(g.running).toBe(false)
    await g.run('third', none)
    expect([g.result, g.error?.code, g.request?.text]).toEqual([null, 'too-long', 'third'])
  })

  it('Suites: a stale answer of a suite is dropped and each suite keeps its own error and request', async () => {
    const slow = deferred<Result<KnowledgeEditView>>()
    const answers = [() => slow.promise, () => ok({ edited: true, cases: [] } as KnowledgeEditView)]
    const { client } = fakeClient({ 'suites.knowledgeEdit': () => answers.shift()!() })
    const s = new SuitesState(client)
    const first = s.runKnowledgeEdit(none)
    await s.runKnowledgeEdit(one)
    slow.resolve(ok({ edited: false, cases: [] }))
    await first
    expect(s.knowledgeEdit?.edited).toBe(true)
    expect(s.ranWith('knowledgeEdit')).toBe(one)
    expect(s.requestOf('knowledgeEdit')).toEqual({ edits: one })
    expect(s.running).toBeNull()
    await s.runGenderBias(none, { optimize: false }) // not scripted: unavailable
    expect(s.errorOf('genderBias')?.code).toBe('unavailable')
    expect(s.errorOf('knowledgeEdit')).toBeNull()
    expect(s.requestOf('genderBias')).toEqual({ optimize: false })
  })

  it('Prompt: the prediction names its prompt and is marked stale as soon as the prompt changes', async () => {
    const predicted = { next: [{ id: 1, text: ' she', prob: 0.5, logit: 1 }], logProbs: [], edited: false } as unknown as PredictResponse
    const { client } = fakeClient({
      'tokens.encode': ({ text }) => ok({ tokens: [{ id: 1, text, start: 0, end: text.length }] }),
      'predict.next': () => ok(predicted),
    })
    const prompt = new PromptState(client)
    await prompt.setText('The nurse')
    await prompt.predict()
    expect(prompt.predictionRequest).toEqual({ text: 'The nurse', topK: 10 })
    const app = { client, model: { config: { nPositions: 512, numSenses: 16 } } }
    render(PromptView, {
      props: { app, prompt, edits: { edits: [], document: none }, route: { params: {}, update: () => undefined } } as never,
    })
    const note = screen.getByTestId('prediction-for')
    expect(note.dataset.stale).toBe('false')
    expect(note.textContent).toContain('"The nurse"')
    await prompt.setText('The doctor')
    await tick()
    expect(screen.getByTestId('prediction-for').dataset.stale).toBe('true')
  })

  it('Prompt: edits that arrive after the first prediction (from the URL, another view) are applied by predicting again', async () => {
    const predicted = { next: [], logProbs: [], edited: false } as unknown as PredictResponse
    const fake = fakeClient({
      'tokens.encode': ({ text }) => ok({ tokens: [{ id: 1, text, start: 0, end: text.length }] }),
      'predict.next': () => ok(predicted),
    })
    const prompt = new PromptState(fake.client)
    await prompt.setText('The rough')
    const edits = new EditsState(fake.client)
    const app = { client: fake.client, model: { config: { nPositions: 512, numSenses: 16 } } }
    render(PromptView, { props: { app, prompt, edits, route: { params: {}, update: () => undefined } } as never })
    await waitFor(() => expect(prompt.predictionRequest).toEqual({ text: 'The rough', topK: 10 }))
    edits.add({ kind: 'scale-sense', token: ' rough', sense: 12, factor: 0 })
    await waitFor(() => expect(prompt.predictionRequest).toEqual({ text: 'The rough', topK: 10, edits: edits.document }))
    expect(screen.getByTestId('prediction-for').dataset.stale).toBe('false')
  })
})
