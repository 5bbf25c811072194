import { cleanup, fireEvent, render, screen, within } from '@testing-library/svelte'
import { afterEach, describe, expect, it } from 'vitest'
import GenerateView from '../../../../src/renderer/src/views/generate/GenerateView.svelte'
import SuitesView from '../../../../src/renderer/src/views/suites/SuitesView.svelte'
import { EvaluateState } from '../../../../src/renderer/src/state/evaluate-state.svelte'
import { GenerateState } from '../../../../src/renderer/src/state/generate-state.svelte'
import { SuitesState } from '../../../../src/renderer/src/state/suites-state.svelte'
import type { SenseEditDocument } from '../../../../src/shared/edits/sense-edits'
import type { EvaluateResponse, GenderBiasView, GenerateResponse } from '../../../../src/shared/ipc/api-types'
import type { Experiment, RunSummary } from '../../../../src/shared/store/experiment-types'
import { fakeClient, ok, type Responders } from '../../fake-client'

afterEach(() => cleanup())

// Each view's "Save as experiment" sends experiments.saveRun with the method and the exact request
// the view just ran (its progress id left out), asserted against the request the fake recorded.
const edits: SenseEditDocument = {
  format: 'backpack-sense-edits',
  version: 1,
  edits: [{ kind: 'scale-sense', token: ' nurse', sense: 3, factor: 0 }],
}
const saved = { experiment: { id: 9, name: 'saved' } as Experiment, run: { id: 21 } as RunSummary }
const model = { name: 'm', config: { numSenses: 16, nPositions: 512 } }

function setup(responders: Responders) {
  const fake = fakeClient({
    ...responders,
    'experiments.list': () => ok({ items: [], total: 0, limit: 100, offset: 0 }),
    'experiments.saveRun': () => ok(saved),
  })
  return { ...fake, app: { client: fake.client, info: { version: 't' }, model } }
}

async function saveAs(scope: HTMLElement, name: string) {
  await fireEvent.click(within(scope).getByTestId('save-run-open'))
  await fireEvent.input(within(scope).getByTestId('save-run-name'), { target: { value: name } })
  await fireEvent.click(within(scope).getByTestId('save-run-submit'))
  await within(scope).findByTestId('save-run-saved')
}

/** the request the view sent for `method`, without the progress id */
function sent(calls: { method: string; request: unknown }[], method: string): Record<string, unknown> {
  const { runId, ...rest } = calls.find((c) => c.method === method)!.request as Record<string, unknown>
  expect(typeof runId).toBe('string')
  return rest
}

describe('Save as experiment from the views', () => {
  it('Generate: saves the generate.run request it ran (sampling settings and seed included)', async () => {
    const gen: GenerateResponse = {
      prompt: 'The nurse',
      settings: { strategy: 'sample', maxNewTokens: 8 },
      baseline: { text: ' a', tokens: [], stopReason: 'length', tokensPerSecond: 10 } as never,
      edited: { text: ' b', tokens: [], stopReason: 'length', tokensPerSecond: 10 } as never,
      firstDifference: 0,
    }
    const { client, calls, app } = setup({ 'generate.run': () => ok(gen) })
    const generation = new GenerateState(client)
    generation.settings.strategy = 'sample'
    generation.settings.seed = 42
    generation.settings.maxNewTokens = 8
    render(GenerateView, {
      props: { app, generation, prompt: { text: 'The nurse' }, edits: { edits: edits.edits, document: edits } } as never,
    })
    await fireEvent.click(screen.getByTestId('generate'))
    await saveAs(await screen.findByTestId('save-generation'), 'nurse, seed 42')
    const ran = sent(calls, 'generate.run')
    expect(ran).toEqual({ text: 'The nurse', maxNewTokens: 8, strategy: 'sample', temperature: 1, seed: 42, edits })
    expect(calls.at(-1)).toEqual({
      method: 'experiments.saveRun',
      request: { method: 'generate.run', request: ran, name: 'nurse, seed 42', notes: '', tags: [] },
    })
    expect(screen.getByTestId('save-run-link').getAttribute('href')).toBe('#/compare?ids=9')
  })

  it('Suites: saves the gender-bias request it ran, and shows why its effects are null on this model', async () => {
    const bias: GenderBiasView = {
      sense: 3,
      professions: { used: ['nurse'], dropped: [] },
      prompts: { test: 2, train: 2 },
      settings: {
        unmodified: { meanBias: 1.4 },
        removeSense: { meanBias: 1.4, reduction: 0 },
        optimizeSense: { meanBias: 1.4, reduction: 0, meanW: 1 },
      },
      perProfession: [{ profession: 'nurse', token: 4559, unmodified: 1.4, removeSense: 1.4, optimizeSense: 1.4, w: 1 }],
      edited: true,
      explanation: ['removing sense 3 does not reduce the bias', 'Optimize-Sense kept w = 1 for all 1 professions'],
    }
    const { client, calls, app } = setup({ 'suites.genderBias': () => ok(bias) })
    const suites = new SuitesState(client)
    const evaluation = new EvaluateState(client)
    render(SuitesView, { props: { app, suites, evaluation, edits: { edits: edits.edits, document: edits } } as never })
    await fireEvent.click(screen.getByTestId('run-gender-bias'))
    const why = await screen.findByTestId('gender-bias-explanation')
    expect(
      within(why)
        .getAllByRole('listitem')
        .map((li) => li.textContent),
    ).toEqual(bias.explanation)
    await saveAs(screen.getByTestId('save-gender-bias'), 'bias under my edit')
    const ran = sent(calls, 'suites.genderBias')
    expect(ran).toEqual({ optimize: true, edits })
    expect(calls.at(-1)).toEqual({
      method: 'experiments.saveRun',
      request: { method: 'suites.genderBias', request: ran, name: 'bias under my edit', notes: '', tags: [] },
    })
  })

  it('Evaluate: scores pasted text and files, shows per-document and pooled perplexity with units, and saves the evaluate.run request', async () => {
    const fig = (tokens: number, mean: number) => ({
      tokens,
      predicted: tokens - 1,
      sumLogProb: mean * (tokens - 1),
      meanLogProb: mean,
      perplexity: Math.exp(-mean),
    })
    const answer: EvaluateResponse = {
      documents: [
        { name: 'pasted text', ...fig(5, -2) },
        { name: 'notes.txt', ...fig(9, -3) },
      ],
      total: { documents: 2, ...fig(14, -2.667) },
      window: 512,
      logProbs: '',
      edited: false,
      timingsMs: {},
    }
    const { client, calls, app } = setup({ 'evaluate.run': () => ok(answer) })
    const evaluation = new EvaluateState(client)
    const none: SenseEditDocument = { ...edits, edits: [] }
    render(SuitesView, { props: { app, suites: new SuitesState(client), evaluation, edits: { edits: [], document: none } } as never })
    await fireEvent.input(screen.getByTestId('evaluate-text'), { target: { value: 'The nurse said that she' } })
    await fireEvent.click(screen.getByTestId('evaluate-add'))
    await fireEvent.change(screen.getByTestId('evaluate-files'), {
      target: { files: [new File(['The doctor said that he'], 'notes.txt', { type: 'text/plain' })] },
    })
    await screen.findByText('notes.txt')
    await fireEvent.click(screen.getByTestId('run-evaluate'))
    const table = await screen.findByTestId('evaluate-table')
    const cells = (r: HTMLElement) => [...(r as HTMLTableRowElement).cells].map((c) => c.textContent?.trim()).join(' | ')
    expect(within(table).getAllByRole('row').map(cells)).toEqual([
      'document | tokens | predicted tokens | mean log p (nats/token) | perplexity',
      'pasted text | 5 | 4 | -2.0000 nats | 7.389',
      'notes.txt | 9 | 8 | -3.0000 nats | 20.086',
      'all 2 (pooled over tokens) | 14 | 13 | -2.6670 nats | 14.397',
    ])
    const ran = sent(calls, 'evaluate.run')
    expect(ran).toEqual({
      documents: [
        { name: 'pasted text', text: 'The nurse said that she' },
        { name: 'notes.txt', text: 'The doctor said that he' },
      ],
    })
    await saveAs(screen.getByTestId('save-evaluate'), 'corpus baseline')
    expect(calls.at(-1)).toEqual({
      method: 'experiments.saveRun',
      request: { method: 'evaluate.run', request: ran, name: 'corpus baseline', notes: '', tags: [] },
    })
  })
})
