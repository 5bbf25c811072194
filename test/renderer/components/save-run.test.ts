import { cleanup, fireEvent, render, screen, within } from '@testing-library/svelte'
import { afterEach, describe, expect, it } from 'vitest'
import SaveRun from '../../../src/renderer/src/components/SaveRun.svelte'
import type { SenseEditDocument } from '../../../src/shared/edits/sense-edits'
import type { Experiment, ExperimentSummary, RunSummary } from '../../../src/shared/store/experiment-types'
import { fakeClient, ok } from '../fake-client'

afterEach(() => cleanup())

const doc = (factor: number): SenseEditDocument => ({
  format: 'backpack-sense-edits',
  version: 1,
  edits: [{ kind: 'scale-sense', token: ' nurse', sense: 3, factor }],
})
const summary = (id: number, name: string, editCount: number): ExperimentSummary => ({
  id,
  uid: `u${id}`,
  name,
  notes: '',
  tags: [],
  folder: '',
  parentId: null,
  checkpointHash: 'h',
  editCount,
  runCount: 0,
  createdAt: 0,
  updatedAt: 0,
  deletedAt: null,
})
const experiment = (id: number, name: string, edits: SenseEditDocument): Experiment => ({ ...summary(id, name, edits.edits.length), edits })
const run = (id: number, experimentId: number) => ({ id, experimentId, kind: 'predict' }) as unknown as RunSummary

const request = { text: 'The nurse said', topK: 10, edits: doc(0) }

describe('Save as experiment', () => {
  it('saves the exact request as a run of a new experiment and links the saved experiment', async () => {
    const fake = fakeClient({
      'experiments.list': () => ok({ items: [], total: 0, limit: 100, offset: 0 }),
      'experiments.saveRun': (r) => ok({ experiment: experiment(7, r.name ?? '', doc(0)), run: run(12, 7) }),
    })
    render(SaveRun, {
      client: fake.client,
      method: 'predict.next',
      request,
      edits: request.edits,
      suggestedName: 'predict "The nurse said"',
    })
    await fireEvent.click(screen.getByTestId('save-run-open'))
    const name = screen.getByTestId('save-run-name') as HTMLInputElement
    expect(name.value).toBe('predict "The nurse said"')
    await fireEvent.input(name, { target: { value: 'nurse without sense 3' } })
    await fireEvent.input(screen.getByTestId('save-run-notes'), { target: { value: 'first try' } })
    await fireEvent.click(screen.getByTestId('save-run-submit'))
    const saved = await screen.findByTestId('save-run-saved')
    expect(fake.calls.filter((c) => c.method === 'experiments.saveRun')).toEqual([
      {
        method: 'experiments.saveRun',
        request: { method: 'predict.next', request, name: 'nurse without sense 3', notes: 'first try', tags: [] },
      },
    ])
    expect(saved.textContent).toContain('run #12')
    const link = within(saved).getByTestId('save-run-link')
    expect(link.textContent).toContain('#7')
    expect(link.getAttribute('href')).toBe('#/compare?ids=7')
  })

  it("offers only the experiments whose edits equal the request's, and adds the run to the one picked", async () => {
    const byId: Record<number, Experiment> = {
      3: experiment(3, 'same edits', doc(0)),
      4: experiment(4, 'other factor', doc(2)),
      5: experiment(5, 'baseline', { ...doc(0), edits: [] }),
    }
    const fake = fakeClient({
      'experiments.list': () =>
        ok({ items: [3, 4, 5].map((id) => summary(id, byId[id].name, byId[id].edits.edits.length)), total: 3, limit: 100, offset: 0 }),
      'experiments.get': ({ id }) => ok(byId[id]),
      'experiments.saveRun': () => ok({ experiment: byId[3], run: run(13, 3) }),
    })
    render(SaveRun, { client: fake.client, method: 'predict.next', request, edits: request.edits, suggestedName: 'x' })
    await fireEvent.click(screen.getByTestId('save-run-open'))
    const target = screen.getByTestId('save-run-target') as HTMLSelectElement
    await screen.findByRole('option', { name: '#3 same edits' })
    expect([...target.options].map((o) => o.textContent)).toEqual(['a new experiment', '#3 same edits'])
    // experiment 5 has another edit count: its edits are not even read
    expect(fake.calls.filter((c) => c.method === 'experiments.get').map((c) => c.request)).toEqual([{ id: 3 }, { id: 4 }])
    target.value = '3'
    await fireEvent.change(target)
    expect(screen.queryByTestId('save-run-name')).toBeNull()
    await fireEvent.click(screen.getByTestId('save-run-submit'))
    await screen.findByTestId('save-run-saved')
    expect(fake.calls.at(-1)).toEqual({
      method: 'experiments.saveRun',
      request: { method: 'predict.next', request, experimentId: 3, notes: '', tags: [] },
    })
  })

  it('shows a refused save as a typed error and keeps the form open; nothing to save until the view has run', async () => {
    const fake = fakeClient({ 'experiments.list': () => ok({ items: [], total: 0, limit: 100, offset: 0 }) })
    const { rerender } = render(SaveRun, { client: fake.client, method: 'generate.run', request: null, suggestedName: 'g' })
    expect((screen.getByTestId('save-run-open') as HTMLButtonElement).disabled).toBe(true)
    const asked = { text: 'The nurse', maxNewTokens: 8, strategy: 'greedy' as const }
    await rerender({ client: fake.client, method: 'generate.run', request: asked, suggestedName: 'g' })
    await fireEvent.click(screen.getByTestId('save-run-open'))
    await fireEvent.click(screen.getByTestId('save-run-submit'))
    const alert = await screen.findByRole('alert')
    expect(alert.querySelector('code')?.textContent).toBe('unavailable') // saveRun not scripted: the fake answers unavailable
    expect(screen.getByTestId('save-run-submit')).toBeTruthy()
    expect(screen.queryByTestId('save-run-saved')).toBeNull()
  })
})
