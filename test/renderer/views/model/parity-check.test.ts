import { cleanup, fireEvent, render, screen, within } from '@testing-library/svelte'
import { afterEach, describe, expect, it } from 'vitest'
import ParityCheck from '../../../../src/renderer/src/views/model/ParityCheck.svelte'
import type { ParityCheckReport, ParityTensorCheck } from '../../../../src/shared/ipc/api-types'
import { fakeClient, ok } from '../../fake-client'

afterEach(() => cleanup())

const tensor = (name: ParityTensorCheck['tensor'], relativeError: number, worstIndex: number[]): ParityTensorCheck => ({
  tensor: name,
  shape: [12, 50264],
  scale: 2,
  maxAbsError: 2 * relativeError,
  relativeError,
  worstIndex,
  actual: 1.5,
  expected: 1.5 - 2 * relativeError,
  passed: relativeError <= 1e-4,
})
const report = (tensors: ParityTensorCheck[]): ParityCheckReport => ({
  checkpointDir: '/ckpt',
  referenceDir: '/ckpt/reference',
  tokens: 12,
  ids: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
  tolerance: 1e-4,
  tensors,
  references: [{ reference: 'pytorch', source: '/ckpt/reference', tensors, passed: tensors.every((t) => t.passed), ms: 3 }],
  passed: tensors.every((t) => t.passed),
  forwardMs: 5,
})

describe('ParityCheck', () => {
  it('runs model.selfCheck on click and shows one row per tensor with the verdict', async () => {
    const r = report([tensor('logits', 3e-7, [0, 1]), tensor('senses', 2e-7, [1, 2, 3]), tensor('contextualization', 1e-7, [0, 4, 2])])
    const { client, calls } = fakeClient({ 'model.selfCheck': () => ok(r) })
    render(ParityCheck, { client })
    await fireEvent.click(screen.getByRole('button', { name: 'Run parity check' }))
    await screen.findByTestId('parity-table')
    expect(calls.map((c) => c.method)).toEqual(['model.selfCheck'])
    expect(screen.getByTestId('parity-verdict').textContent).toMatch(/^Passed: 12 tokens/)
    const rows = within(screen.getByTestId('parity-table')).getAllByRole('row').slice(1)
    expect(rows.map((row) => row.getAttribute('data-tensor'))).toEqual(['logits', 'senses', 'contextualization'])
    expect(rows[0].textContent).toContain('3.00e-7')
    expect(rows[1].textContent).toContain('[1, 2, 3]')
    expect(rows.every((row) => row.textContent?.includes('pass'))).toBe(true)
  })

  it('shows a failing tensor with its worst index', async () => {
    const r = report([tensor('logits', 0.01, [3, 15849]), tensor('senses', 2e-7, [0, 0, 0]), tensor('contextualization', 1e-7, [0, 0, 0])])
    const { client } = fakeClient({ 'model.selfCheck': () => ok(r) })
    render(ParityCheck, { client })
    await fireEvent.click(screen.getByRole('button', { name: 'Run parity check' }))
    expect((await screen.findByTestId('parity-verdict')).textContent).toMatch(/^Failed/)
    const logits = screen.getByTestId('parity-table').querySelector('tr[data-tensor="logits"]')!
    expect(logits.textContent).toContain('[3, 15849]')
    expect(logits.textContent).toContain('FAIL')
  })

  it('shows the typed error when the checkpoint has no reference outputs, and no table', async () => {
    const { client } = fakeClient({
      'model.selfCheck': () => ({
        ok: false,
        error: { code: 'not-found', message: 'no stored reference outputs for this checkpoint: /ckpt/reference' },
      }),
    })
    render(ParityCheck, { client })
    await fireEvent.click(screen.getByRole('button', { name: 'Run parity check' }))
    expect((await screen.findByRole('alert')).textContent).toContain('no stored reference outputs for this checkpoint')
    expect(screen.queryByTestId('parity-table')).toBeNull()
  })

  it('drops the verdict when another model is loaded', async () => {
    const r = report([tensor('logits', 3e-7, [0, 1])])
    const { client, emit } = fakeClient({ 'model.selfCheck': () => ok(r) })
    render(ParityCheck, { client })
    await fireEvent.click(screen.getByRole('button', { name: 'Run parity check' }))
    await screen.findByTestId('parity-table')
    emit('model.loaded', {
      model: {
        checkpointDir: '/other',
        contentHash: 'x',
        config: {} as never,
        provider: { name: 'cpu', requested: 'auto', available: ['cpu'] },
        loadedAt: '',
      },
    })
    await new Promise((res) => setTimeout(res, 0))
    expect(screen.queryByTestId('parity-table')).toBeNull()
  })
})
