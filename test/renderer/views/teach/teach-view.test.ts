import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/svelte'
import { afterEach, describe, expect, it } from 'vitest'
import { EditsState } from '../../../../src/renderer/src/state/edits-state.svelte'
import { TeachState } from '../../../../src/renderer/src/state/teach-state.svelte'
import TeachView from '../../../../src/renderer/src/views/teach/TeachView.svelte'
import type { Result } from '../../../../src/shared/errors'
import type { FinetuneEpochFigures, FinetuneResponse } from '../../../../src/shared/ipc/api-types'
import { fakeClient, ok } from '../../fake-client'

afterEach(() => cleanup())

const app = { info: { version: 't' }, model: { name: 'm', config: { numSenses: 16 } } }
const EXAMPLES = '{"prefix": "The capital of France is", "suffix": " Paris"}\n{"prefix": "A member of the genus", "suffix": " Canis"}\n'
const figures = (epoch: number, canonicalLoss: number): FinetuneEpochFigures => ({
  epoch,
  epochs: 3,
  canonicalLoss,
  objective: canonicalLoss + 0.01,
  kl: 0.001 * epoch,
  backgroundNll: 4.2 + 1e-4 * epoch,
})
const metrics = (loss: number, bg: number) => ({
  canonicalLoss: loss,
  objective: loss,
  kl: 0,
  backgroundNll: bg,
  examples: [
    { line: 1, loss, suffixNll: [loss] },
    { line: 2, loss: loss / 2, suffixNll: [loss / 2] },
  ],
})
const RESPONSE: FinetuneResponse = {
  contentHash: 'abc',
  loss: 'nll',
  selected: [
    { token: 6342, text: ' Paris', sense: 3, score: 0.9, suffixMass: 0.95, backgroundMass: 1e-5, lines: [1] },
    { token: 1680, text: ' Canis', sense: 0, score: 0.5, suffixMass: 0.6, backgroundMass: 1e-4, lines: [2] },
  ],
  before: metrics(6, 4.2),
  after: metrics(1.5, 4.2003),
  epochKept: 3,
  backgroundNllLimit: 4.2042,
  history: [figures(1, 4), figures(2, 2.5), figures(3, 1.5)],
  examples: [
    { line: 1, prefix: 'The capital of France is', suffixes: [' Paris'] },
    { line: 2, prefix: 'A member of the genus', suffixes: [' Canis'] },
  ],
  document: {
    format: 'backpack-sense-edits',
    version: 1,
    checkpoint: 'abc',
    edits: [
      { kind: 'add-sense', token: 6342, sense: 3, from: { values: [0.1, 0.2] } },
      { kind: 'add-sense', token: 1680, sense: 0, from: { values: [0.3, 0.4] } },
    ],
  },
  background: {
    source: 'the bundled demo',
    isDefault: true,
    truncated: false,
    tokens: 900,
    positions: 899,
    reachedPositions: 40,
    statisticsCached: false,
  },
  timingsMs: { prepare: 10, epochs: [1, 1, 1] },
}

function setup() {
  let finish: (r: Result<FinetuneResponse>) => void = () => undefined
  const fake = fakeClient({
    'finetune.run': () => new Promise((res) => (finish = res)),
    'run.cancel': () => ok({ cancelled: true }),
    'experiments.save': (req) => ok({ id: 7, name: req.name } as never),
  })
  const teach = new TeachState(fake.client)
  const edits = new EditsState(fake.client)
  render(TeachView, { props: { app, teach, edits } as never })
  return { ...fake, teach, edits, finish: (r: Result<FinetuneResponse>) => finish(r) }
}

describe('Teach view', () => {
  it('imports a .jsonl file, streams each epoch into the live chart, and shows the senses and the per-example table', async () => {
    const { calls, emit, finish, teach } = setup()
    const input = screen.getByLabelText('import .jsonl') as HTMLInputElement
    await fireEvent.change(input, { target: { files: [new File([EXAMPLES], 'capitals.jsonl')] } })
    await waitFor(() => expect((screen.getByLabelText(/canonical examples/) as HTMLTextAreaElement).value).toBe(EXAMPLES))
    await fireEvent.click(screen.getByTestId('run-finetune'))
    const call = calls.find((c) => c.method === 'finetune.run')!
    expect(call.request).toMatchObject({ examples: EXAMPLES, loss: 'nll', maxDegradation: 1e-3, epochs: 10 })
    expect(call.request).not.toHaveProperty('background') // empty: the server's default
    const runId = (call.request as { runId: string }).runId
    emit('finetune.progressed', { runId, figures: figures(1, 4) })
    emit('finetune.progressed', { runId: 'someone-else', figures: figures(1, 9) })
    emit('finetune.progressed', { runId, figures: figures(2, 2.5) })
    await waitFor(() => expect(screen.getByTestId('finetune-epoch').textContent).toBe('epoch 2/10'))
    expect(teach.history.map((h) => h.epoch)).toEqual([1, 2])
    expect(screen.getByRole('img', { name: 'Canonical loss and objective per epoch' }).querySelector('svg')).not.toBeNull()

    finish(ok(RESPONSE))
    await waitFor(() => expect(screen.getByTestId('finetune-summary').textContent).toMatch(/Epoch 3 kept: canonical loss 6\.000 → 1\.500/))
    const senses = screen.getByTestId('finetune-senses')
    const link = within(senses).getByRole('link', { name: '" Paris"' })
    expect(link.getAttribute('href')).toBe('#/senses?word=%20Paris')
    const rows = within(screen.getByTestId('finetune-examples')).getAllByRole('row').slice(1)
    expect(rows).toHaveLength(2)
    expect(rows[0].textContent).toContain('The capital of France is')
    expect(rows[0].textContent).toContain('6.000')
    expect(rows[0].textContent).toContain('1.500')
    expect(screen.queryByTestId('finetune-epoch')).toBeNull() // no longer running
  })

  it('adds the learned edits to the edit list once, and saves the edit document as an experiment', async () => {
    const { calls, finish, edits } = setup()
    await fireEvent.input(screen.getByLabelText(/canonical examples/), { target: { value: EXAMPLES } })
    await fireEvent.click(screen.getByTestId('run-finetune'))
    finish(ok(RESPONSE))
    const add = await screen.findByRole('button', { name: /Add to edits/ })
    await fireEvent.click(add)
    expect(edits.edits).toEqual(RESPONSE.document!.edits)
    expect((screen.getByRole('button', { name: 'Added to edits' }) as HTMLButtonElement).disabled).toBe(true)
    await fireEvent.input(screen.getByLabelText('name'), { target: { value: 'capitals' } })
    await fireEvent.click(screen.getByRole('button', { name: 'Save as experiment' }))
    await waitFor(() => expect(screen.getByTestId('finetune-saved').textContent).toContain('#7'))
    const save = calls.find((c) => c.method === 'experiments.save')!.request as {
      name: string
      edits: { edits: unknown[]; name: string }
      tags: string[]
      notes: string
    }
    expect(save.name).toBe('capitals')
    expect(save.edits.edits).toEqual(RESPONSE.document!.edits)
    expect(save.tags).toEqual(['finetune'])
    expect(save.notes).toMatch(/epoch kept 3/)
  })

  it('sends run.cancel for the run in flight and shows its typed error; without a ball, sends no ε', async () => {
    const { calls, finish } = setup()
    await fireEvent.input(screen.getByLabelText(/canonical examples/), { target: { value: EXAMPLES } })
    await fireEvent.click(screen.getByLabelText('degradation ball'))
    await fireEvent.click(screen.getByTestId('run-finetune'))
    const req = calls.find((c) => c.method === 'finetune.run')!.request as { runId: string }
    expect(req).not.toHaveProperty('maxDegradation')
    await fireEvent.click(screen.getByRole('button', { name: 'Cancel' }))
    expect(calls.find((c) => c.method === 'run.cancel')!.request).toEqual({ runId: req.runId })
    finish({ ok: false, error: { code: 'cancelled', message: 'fine-tuning was cancelled' } })
    await waitFor(() => expect(screen.getByRole('alert').textContent).toContain('cancelled'))
    expect(screen.queryByTestId('finetune-summary')).toBeNull()
  })

  it('says so and offers nothing to add when no epoch stayed inside the ball', async () => {
    const { finish } = setup()
    await fireEvent.input(screen.getByLabelText(/canonical examples/), { target: { value: EXAMPLES } })
    await fireEvent.click(screen.getByTestId('run-finetune'))
    finish(ok({ ...RESPONSE, after: null, epochKept: null, document: null }))
    await waitFor(() => expect(screen.getByTestId('finetune-summary').textContent).toMatch(/No epoch kept/))
    expect(screen.queryByRole('button', { name: /Add to edits/ })).toBeNull()
    expect(screen.queryByRole('button', { name: 'Save as experiment' })).toBeNull()
  })
})
