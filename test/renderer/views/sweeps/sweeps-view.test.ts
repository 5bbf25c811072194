import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/svelte'
import { afterEach, describe, expect, it } from 'vitest'
import SweepsView from '../../../../src/renderer/src/views/sweeps/SweepsView.svelte'
import { SweepsState } from '../../../../src/renderer/src/state/sweeps-state.svelte'
import { parseHash } from '../../../../src/renderer/src/state/route-state.svelte'
import type { SweepMeta, SweepProgress } from '../../../../src/shared/sweep/sweep-view'
import { fakeClient, ok } from '../../fake-client'

afterEach(() => cleanup())

const meta: SweepMeta = { sweepId: 'swabc', name: 'bias', jobs: 3, checkpointHash: 'h'.repeat(64), createdAt: 1 }
const progress = (done: number, extra: Partial<SweepProgress> = {}): SweepProgress => ({
  sweepId: 'swabc',
  name: 'bias',
  jobs: 3,
  cancelled: false,
  counts: { waiting: 3 - done - (done < 3 ? 1 : 0), active: done < 3 ? 1 : 0, completed: done, failed: 0, removed: 0 },
  active: done < 3 ? [{ index: done, worker: 'box/2', attemptsMade: 0 }] : [],
  completedBy: done > 0 ? { 'box/1': done } : {},
  failures: [],
  experiments: Array.from({ length: done }, (_, i) => ({ index: i, experimentId: 10 + i, name: `job ${i}` })),
  recorded: 0,
  ...extra,
})
const edits = {
  document: {
    format: 'backpack-sense-edits' as const,
    version: 1 as const,
    edits: [{ kind: 'scale-sense' as const, token: ' nurse', sense: 1, factor: 0 }],
  },
  edits: [{}],
}

describe('Sweeps view', () => {
  it("on open lists the queue's sweeps and reads each (catching up on results), then follows the selected one live", async () => {
    let done = 0
    const { client, calls } = fakeClient({
      'sweeps.list': () => ok({ sweeps: [meta] }),
      'sweeps.status': () => ok(progress(done, { recorded: calls.filter((c) => c.method === 'sweeps.status').length === 1 ? 2 : 0 })),
    })
    const sweeps = new SweepsState(client, null, 10)
    render(SweepsView, { props: { sweeps, prompt: { text: 'The nurse said' }, edits } })
    await waitFor(() => expect(screen.getByTestId('sweeps-caught-up').textContent).toContain('2'))
    expect(calls[0]).toEqual({ method: 'sweeps.list', request: { redis: 'redis://127.0.0.1:6379', queue: 'backpack-sweeps' } })
    await fireEvent.click(screen.getByTestId('sweep-item'))
    await waitFor(() => expect(screen.getByTestId('count-active').textContent).toBe('1'))
    expect(screen.getByTestId('count-waiting').textContent).toBe('2')
    expect(screen.getAllByTestId('worker-row').map((r) => r.textContent)).toEqual(['box/210'])
    done = 2
    await waitFor(() => expect(screen.getByTestId('count-done').textContent).toBe('2'))
    expect(screen.getAllByTestId('worker-row').map((r) => r.textContent)).toEqual(['box/102', 'box/210'])
    expect(screen.getAllByTestId('sweep-experiment').map((a) => [a.textContent, a.getAttribute('href')])).toEqual([
      ['job 0', '#/compare?ids=10'],
      ['job 1', '#/compare?ids=11'],
    ])
    expect(parseHash(screen.getByTestId('sweep-compare').getAttribute('href')!)).toEqual({ view: 'compare', params: { ids: '10,11' } })
    done = 3
    await waitFor(() => expect(screen.getByTestId('count-done').textContent).toBe('3'))
    expect(parseHash(screen.getByTestId('sweep-compare').getAttribute('href')!)).toEqual({ view: 'compare', params: { ids: '10,11,12' } })
    // finished: polling stops, cancel is off
    const polls = calls.length
    await new Promise((r) => setTimeout(r, 60))
    expect(calls.length).toBe(polls)
    expect((screen.getByTestId('sweep-cancel') as HTMLButtonElement).disabled).toBe(true)
    sweeps.dispose()
  })

  it('submits the current edits as one job, or a grid, with the Redis URL typed in; cancel reaches the API', async () => {
    const { client, calls } = fakeClient({
      'sweeps.list': () => ok({ sweeps: [] }),
      'sweeps.submit': () => ok(meta),
      'sweeps.status': () => ok(progress(0)),
      'sweeps.cancel': () => ok({ sweepId: 'swabc', removed: 2, aborted: 1, completed: 0, stillActive: 0 }),
    })
    const sweeps = new SweepsState(client, null, 10_000)
    render(SweepsView, { props: { sweeps, prompt: { text: 'The nurse said' }, edits } })
    const url = screen.getByTestId('sweeps-redis')
    await fireEvent.input(url, { target: { value: 'redis://gpu-box:6380' } })
    await fireEvent.click(screen.getByTestId('sweeps-submit'))
    await waitFor(() => expect(calls.some((c) => c.method === 'sweeps.submit')).toBe(true))
    expect(calls.find((c) => c.method === 'sweeps.submit')!.request).toEqual({
      redis: 'redis://gpu-box:6380',
      queue: 'backpack-sweeps',
      document: {
        format: 'backpack-sweep',
        version: 1,
        name: 'sweep',
        kind: 'predict',
        request: { text: 'The nurse said' },
        edits: [{ ...edits.document, name: 'sweep' }],
      },
    })
    await waitFor(() => expect(screen.getByTestId('sweep-status')).toBeTruthy())

    await fireEvent.click(screen.getByLabelText(/a grid/))
    const form = screen.getByRole('form', { name: 'New sweep' })
    await fireEvent.input(within(form).getByLabelText('senses'), { target: { value: '1, 3' } })
    await fireEvent.input(within(form).getByLabelText('factors'), { target: { value: '0 2' } })
    await fireEvent.click(screen.getByTestId('sweeps-submit'))
    await waitFor(() => expect(calls.filter((c) => c.method === 'sweeps.submit')).toHaveLength(2))
    const grid = calls.filter((c) => c.method === 'sweeps.submit')[1].request as { document: Record<string, unknown> }
    expect(grid.document.grid).toEqual({ kind: 'scale-sense', token: ' nurse', senses: [1, 3], factors: [0, 2] })
    expect(grid.document.edits).toBeUndefined()

    await fireEvent.input(within(form).getByLabelText('factors'), { target: { value: 'zero' } })
    await fireEvent.click(screen.getByTestId('sweeps-submit'))
    expect(screen.getByRole('alert').textContent).toContain('Factors')
    expect(calls.filter((c) => c.method === 'sweeps.submit')).toHaveLength(2)

    await fireEvent.click(screen.getByTestId('sweep-cancel'))
    await waitFor(() => expect(calls.some((c) => c.method === 'sweeps.cancel')).toBe(true))
    expect(calls.find((c) => c.method === 'sweeps.cancel')!.request).toEqual({
      redis: 'redis://gpu-box:6380',
      queue: 'backpack-sweeps',
      sweepId: 'swabc',
    })
    sweeps.dispose()
  })

  it('shows a typed error when Redis cannot be reached, and remembers the URL', async () => {
    const { client } = fakeClient({
      'sweeps.list': () => ({ ok: false, error: { code: 'queue', message: 'Redis at redis://127.0.0.1:1/ is not reachable' } }),
    })
    const store = new Map<string, string>()
    const settings = { getItem: (k: string) => store.get(k) ?? null, setItem: (k: string, v: string) => void store.set(k, v) }
    const sweeps = new SweepsState(client, settings)
    render(SweepsView, { props: { sweeps, prompt: { text: 'x' }, edits } })
    await waitFor(() => expect(screen.getByRole('alert').textContent).toContain('queue'))
    sweeps.redis = 'redis://elsewhere:1'
    expect(new SweepsState(client, settings).redis).toBe('redis://elsewhere:1')
  })
})
