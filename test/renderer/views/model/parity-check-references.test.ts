import { cleanup, fireEvent, render, screen, within } from '@testing-library/svelte'
import { afterEach, describe, expect, it } from 'vitest'
import ParityCheck from '../../../../src/renderer/src/views/model/ParityCheck.svelte'
import type { ParityCheckReport, ParityReferenceCheck, ParityTensorCheck } from '../../../../src/shared/ipc/api-types'
import type { Result } from '../../../../src/shared/errors'
import { fakeClient, ok } from '../../fake-client'

// The self-check against the float64 reference (and the stored PyTorch outputs when shipped):
// one table per reference with its verdict, the worst index and tolerance; a progress bar fed by
// run.progressed while it runs; Cancel sends run.cancel for the check's run id.
afterEach(() => cleanup())

const tensor = (name: ParityTensorCheck['tensor'], relativeError: number, worstIndex: number[]): ParityTensorCheck => ({
  tensor: name,
  shape: name === 'logits' ? [9, 50264] : name === 'senses' ? [16, 9, 768] : [16, 9, 9],
  scale: 4,
  maxAbsError: 4 * relativeError,
  relativeError,
  worstIndex,
  actual: 0.5,
  expected: 0.5 - 4 * relativeError,
  passed: relativeError <= 1e-4,
})
const reference = (kind: ParityReferenceCheck['reference'], tensors: ParityTensorCheck[]): ParityReferenceCheck => ({
  reference: kind,
  source: kind === 'float64' ? '/models/backpack-gpt2' : '/models/backpack-gpt2/reference',
  tensors: tensors.map((t) => ({ ...t, reference: kind })),
  passed: tensors.every((t) => t.passed),
  ms: 4200,
})
const report = (references: ParityReferenceCheck[]): ParityCheckReport => ({
  checkpointDir: '/models/backpack-gpt2',
  referenceDir: references.some((r) => r.reference === 'pytorch') ? '/models/backpack-gpt2/reference' : null,
  tokens: 9,
  ids: [464, 15849, 531, 326, 673, 561, 766, 262, 15849],
  tolerance: 1e-4,
  tensors: references[0].tensors,
  references,
  passed: references.every((r) => r.passed),
  forwardMs: 40,
})
const good = () => [tensor('logits', 2e-7, [4, 11]), tensor('senses', 1e-7, [3, 1, 700]), tensor('contextualization', 5e-8, [15, 8, 2])]

describe('ParityCheck against the float64 reference', () => {
  it('shows the worst per tensor, then one table per reference naming which, with the worst index and the tolerance', async () => {
    const bad = [tensor('logits', 3e-3, [6, 28084]), tensor('senses', 1e-7, [0, 0, 1]), tensor('contextualization', 5e-8, [0, 1, 0])]
    const float64 = reference('float64', bad)
    const pytorch = reference('pytorch', good())
    const worst = [float64.tensors[0], pytorch.tensors[1], pytorch.tensors[2]]
    const r = { ...report([float64, pytorch]), tensors: worst }
    const { client } = fakeClient({ 'model.selfCheck': () => ok(r) })
    render(ParityCheck, { client })
    await fireEvent.click(screen.getByRole('button', { name: 'Run parity check' }))
    const verdict = await screen.findByTestId('parity-verdict')
    expect(verdict.textContent).toMatch(/^Failed: 9 tokens, tolerance 1e-4/)
    expect(verdict.textContent).toContain('float64 reference and the stored PyTorch outputs')
    // the summary: worst per tensor and which reference it was against
    const summary = screen.getByTestId('parity-table')
    const rows = within(summary).getAllByRole('row').slice(1)
    expect(rows.map((row) => [row.getAttribute('data-tensor'), row.querySelectorAll('td')[0].textContent])).toEqual([
      ['logits', 'float64'],
      ['senses', 'PyTorch'],
      ['contextualization', 'PyTorch'],
    ])
    expect(rows[0].textContent).toContain('[6, 28084]')
    expect(rows[0].textContent).toContain('3.00e-3')
    expect(rows[0].textContent).toContain('FAIL')
    // one table per reference
    const tables = screen.getAllByTestId('parity-reference-table')
    expect(tables.map((t) => t.getAttribute('data-reference'))).toEqual(['float64', 'pytorch'])
    expect(tables[0].querySelector('caption')?.textContent).toMatch(/Float64 TypeScript reference.*FAIL/)
    expect(tables[1].querySelector('caption')?.textContent).toMatch(/Stored PyTorch outputs in \/models\/backpack-gpt2\/reference.*pass/)
    expect(tables[0].querySelector('tr[data-tensor="logits"]')?.textContent).toContain('[6, 28084]')
    expect(tables[1].querySelector('tr[data-tensor="logits"]')?.textContent).toContain('[4, 11]')
    expect(screen.getByTestId('parity-ids').textContent).toContain('464, 15849')
  })

  it('shows only the float64 table for a checkpoint without reference outputs', async () => {
    const { client } = fakeClient({ 'model.selfCheck': () => ok(report([reference('float64', good())])) })
    render(ParityCheck, { client })
    await fireEvent.click(screen.getByRole('button', { name: 'Run parity check' }))
    expect((await screen.findByTestId('parity-verdict')).textContent).toMatch(/^Passed: 9 tokens/)
    expect(screen.getByTestId('parity-table').getAttribute('data-reference')).toBe('float64')
    expect(screen.getByTestId('parity-table').querySelector('caption')?.textContent).toMatch(/Float64 TypeScript reference.*pass/)
    expect(screen.queryByTestId('parity-reference-table')).toBeNull()
  })

  it('shows a progress bar from run.progressed while running, and Cancel sends run.cancel', async () => {
    let answer: (r: Result<ParityCheckReport>) => void = () => {}
    const { client, calls, emit } = fakeClient({
      'model.selfCheck': () => new Promise<Result<ParityCheckReport>>((res) => (answer = res)),
      'run.cancel': () => {
        answer({ ok: false, error: { code: 'cancelled', message: 'the float64 reference forward pass was cancelled' } })
        return ok({ cancelled: true })
      },
    })
    render(ParityCheck, { client })
    await fireEvent.click(screen.getByRole('button', { name: 'Run parity check' }))
    const runId = (calls[0].request as { runId: string }).runId
    emit('run.progressed', { runId: 'another-run', method: 'suites.topic', done: 1, total: 2 })
    emit('run.progressed', {
      runId,
      method: 'model.selfCheck',
      done: 7,
      total: 33,
      message: 'float64 reference: contextualization layer 5/12',
    })
    const status = await screen.findByTestId('parity-progress')
    await new Promise((res) => setTimeout(res, 0))
    const bar = status.querySelector('progress')!
    expect([bar.getAttribute('max'), bar.getAttribute('value')]).toEqual(['33', '7'])
    expect(status.textContent).toContain('7/33 · float64 reference: contextualization layer 5/12')
    await fireEvent.click(screen.getByRole('button', { name: 'Cancel' }))
    expect(calls.map((c) => [c.method, (c.request as { runId?: string }).runId])).toEqual([
      ['model.selfCheck', runId],
      ['run.cancel', runId],
    ])
    expect((await screen.findByRole('alert')).textContent).toContain('cancelled')
    expect(screen.queryByTestId('parity-progress')).toBeNull()
    expect(screen.queryByTestId('parity-table')).toBeNull()
  })
})
