import { cleanup, fireEvent, render, screen, within } from '@testing-library/svelte'
import { afterEach, describe, expect, it, vi } from 'vitest'
import App from '../../../../src/renderer/src/App.svelte'
import type { ExperimentComparison } from '../../../../src/shared/ipc/api-types'
import type { Comparison } from '../../../../src/shared/store/comparison-types'
import { fakeClient, ok } from '../../fake-client'

afterEach(() => {
  cleanup()
  vi.restoreAllMocks()
})

const info = { version: 't', transport: 'http' as const, model: null }
const prompt = (kind: string, text: string) => ({ kind, text, settings: '{}' })

/** A baseline and an edited experiment: a generation that departs at its second token, an evaluation's per-document table. */
function comparison(n = 2): ExperimentComparison {
  const experiments = Array.from({ length: n }, (_, i) => ({
    id: i + 1,
    uid: `u${i}`,
    name: i === 0 ? 'baseline' : `edited ${i}`,
    checkpoint: null,
    tags: [],
    editCount: i === 0 ? 0 : 1,
  }))
  const per = <T>(f: (i: number) => T) => experiments.map((_, i) => f(i))
  const c: Comparison = {
    format: 'backpack-experiment-comparison',
    version: 1,
    experiments,
    edits: [],
    editEffects: {
      needed: true,
      computed: false,
      note: "load the experiments' model (checkpoint abc…) to see what each edit does",
      rows: [],
    },
    outputs: [
      {
        prompt: prompt('evaluate', 'documents:a.txt'),
        cells: per((i) => ({ runId: 10 + i, summary: `perplexity ${3.5 + i}`, metrics: {}, fresh: false })),
        status: 'changed',
      },
    ],
    metrics: [{ prompt: 'documents:a.txt', metric: 'meanLogProb', values: per((i) => -8.26 - 0.07 * i), status: 'changed' }],
    generations: [
      {
        prompt: prompt('generate', 'The nurse said'),
        cells: per((i) => ({
          runId: 20 + i,
          text: i ? ' that he was' : ' that she was',
          tokens: [' that', i ? ' he' : ' she', ' was'],
          firstDifference: i ? 1 : null,
        })),
        status: 'changed',
      },
    ],
    details: [
      {
        prompt: prompt('evaluate', 'documents:a.txt'),
        title: 'evaluate · documents:a.txt',
        rows: [{ item: 'a.txt', field: 'perplexity', values: per((i) => 3.5 + i), deltas: per((i) => i), status: 'changed' }],
      },
    ],
    diffOnly: true,
    missing: [],
  }
  const tables = [
    {
      title: 'Outputs',
      columns: ['prompt', 'kind', ...experiments.map((e) => e.name)],
      rows: [['documents:a.txt', 'evaluate', ...per((i) => `perplexity ${3.5 + i}`)]],
    },
    { title: 'Generations', columns: ['prompt', 'settings', ...experiments.map((e) => e.name)], rows: [] },
    {
      title: 'Details: evaluate · documents:a.txt',
      columns: ['item', 'figure', ...experiments.map((e) => e.name)],
      rows: [['a.txt', 'perplexity', ...per((i) => String(3.5 + i))]],
    },
  ]
  return { comparison: c, tables }
}

async function open(n = 2) {
  window.location.hash = `#/compare?ids=${Array.from({ length: n }, (_, i) => i + 1).join(',')}`
  const { client, calls } = fakeClient({
    'app.info': () => ok(info),
    'model.recent': () => ok({ checkpoints: [] }),
    'experiments.list': () => ok({ items: [], total: 0, limit: 100, offset: 0 }),
    'experiments.compare': () => ok(comparison(n)),
    'experiments.exportArrays': ({ runId }) =>
      ok({
        fileName: `run-${runId}.npz`,
        base64: btoa('PK'),
        index: {
          format: 'backpack-run-arrays',
          version: 1,
          run: { id: runId, uid: 'r', experimentId: 1, kind: 'evaluate', inputs: {}, settings: {}, checkpoint: null, createdAt: 0 },
          arrays: {},
        },
      }),
  })
  render(App, { client })
  await screen.findAllByTestId('generation-row')
  return calls
}

describe('Compare view: runs of every kind', () => {
  it('asks for differences only by default and shows one column per experiment', async () => {
    const calls = await open(2)
    expect(calls.find((c) => c.method === 'experiments.compare')!.request).toEqual({ ids: [1, 2], diffOnly: true })
    expect((screen.getByTestId('diff-only') as HTMLInputElement).checked).toBe(true)
    const row = screen.getByTestId('generation-row')
    expect(
      within(row)
        .getAllByRole('heading')
        .map((h) => h.textContent),
    ).toEqual(['baseline #1', 'edited 1 #2'])
  })

  it("marks the first token where a generation departs from the first experiment's", async () => {
    await open(2)
    const marks = screen.getAllByTestId('first-difference')
    expect(marks.map((m) => m.textContent)).toEqual([' he'])
    expect(marks[0].parentElement!.textContent).toBe(' that he was')
  })

  it("draws detail tables with a chart, says why edit effects are missing, and downloads a run's arrays", async () => {
    const calls = await open(2)
    expect(screen.getByTestId('comparison-details-evaluate-documents-a-txt').textContent).toContain('a.txt')
    expect(
      screen.getByRole('img', { name: 'evaluate · documents:a.txt per experiment' }).querySelectorAll('g[aria-label="bar"] rect'),
    ).toHaveLength(2)
    expect(screen.getByTestId('edit-effects-note').textContent).toContain("load the experiments' model")
    // each chart group exports on its own: one metric-chart button, one per detail section
    expect(screen.getAllByRole('button', { name: 'Export chart SVG' })).toHaveLength(1)
    expect(screen.getByRole('button', { name: 'Export the evaluate · documents:a.txt charts as PNG' })).toBeTruthy()
    // the metric chart: both bars drawn, the first one too
    const heights = [...screen.getByRole('img', { name: 'Metrics per experiment' }).querySelectorAll('g[aria-label="bar"] rect')].map((r) =>
      Number(r.getAttribute('height')),
    )
    expect(heights).toHaveLength(2)
    expect(heights.every((h) => h > 0)).toBe(true)
    URL.createObjectURL = vi.fn(() => 'blob:x')
    URL.revokeObjectURL = vi.fn()
    const click = vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(() => undefined)
    await fireEvent.click(screen.getByTestId('arrays-11'))
    await vi.waitFor(() => expect(click).toHaveBeenCalled())
    expect(calls.filter((c) => c.method === 'experiments.exportArrays').map((c) => c.request)).toEqual([{ runId: 11 }])
  })

  it('has no cap on experiments: twelve get twelve columns', async () => {
    await open(12)
    expect(within(screen.getByTestId('generation-row')).getAllByRole('heading')).toHaveLength(12)
    expect(screen.getByTestId('comparison-outputs').querySelectorAll('thead th')).toHaveLength(14)
  })
})
