import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDispatcher, type Dispatch } from '../../../src/main/workbench/create-dispatcher'
import { readNpy, writeNpy } from '../../../src/main/npy/npy'
import { Workbench } from '../../../src/main/workbench/workbench'
import type { ApiEvents } from '../../../src/shared/ipc/api'
import type { ParityCheckReport } from '../../../src/shared/ipc/api-types'

// model.selfCheck on temp copies of the tiny full-vocabulary fixture with the PyTorch goldens as
// reference/: the real engine must pass at 1e-4 of each tensor's scale; a perturbed logit must
// fail at its index; a checkpoint without reference/ is checked against the float64 reference.
const env = { ...process.env }
const fixture = resolve('test/fixtures/checkpoints/tiny-fullvocab')
const golden = resolve('test/fixtures/golden/tiny-fullvocab')
let root: string
let workbench: Workbench
let dispatch: Dispatch

function copyCheckpoint(name: string, withReference: boolean): string {
  const dir = join(root, name)
  cpSync(fixture, dir, { recursive: true })
  if (withReference) cpSync(golden, join(dir, 'reference'), { recursive: true })
  return dir
}

async function selfCheck(dir: string) {
  await workbench.load(dir)
  return dispatch('model.selfCheck', {})
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'bw-selfcheck-'))
  Object.assign(process.env, { BACKPACK_CACHE_DIR: join(root, 'cache'), BACKPACK_DATA_DIR: join(root, 'data') })
  workbench = new Workbench({ transport: 'http', version: 'test' })
  dispatch = createDispatcher(workbench.handlers())
})
afterAll(async () => {
  await workbench?.dispose()
  process.env = env
  rmSync(root, { recursive: true, force: true })
})

describe('model.selfCheck', () => {
  it('answers unavailable before a model is loaded', async () => {
    expect(await dispatch('model.selfCheck', {})).toMatchObject({ ok: false, error: { code: 'unavailable' } })
  })

  it('passes on the fixture against its PyTorch reference outputs', async () => {
    const res = await selfCheck(copyCheckpoint('with-reference', true))
    expect(res.ok).toBe(true)
    const report = (res as { value: ParityCheckReport }).value
    const ids = JSON.parse(readFileSync(join(golden, 'ids.json'), 'utf8')) as number[]
    expect(report.tokens).toBe(ids.length)
    expect(report.tolerance).toBe(1e-4)
    expect(report.tensors.map((t) => t.tensor)).toEqual(['logits', 'senses', 'contextualization'])
    for (const t of report.tensors) {
      expect(t.shape).toEqual(readNpy(join(golden, `${t.tensor}.npy`)).shape)
      expect(t.scale).toBeGreaterThan(0)
      expect(t.relativeError).toBeCloseTo(t.maxAbsError / t.scale, 12)
      expect(t.relativeError).toBeLessThanOrEqual(1e-4)
      expect(t.passed).toBe(true)
    }
    expect(report.passed).toBe(true)
    // both references, each passing on its own
    expect(report.references.map((r) => [r.reference, r.passed])).toEqual([
      ['float64', true],
      ['pytorch', true],
    ])
    expect(report.referenceDir).toBe(report.references[1].source)
  })

  it('fails on a perturbed logit and reports where', async () => {
    const dir = copyCheckpoint('perturbed', true)
    const logits = readNpy(join(dir, 'reference', 'logits.npy')) // (pos, vocab)
    const [, V] = logits.shape
    const [pos, tok] = [3, 15849]
    let scale = 0
    for (const x of logits.data) scale = Math.max(scale, Math.abs(x))
    logits.data[pos * V + tok] += 0.01 * scale // 1% of the scale: 100× the tolerance
    writeNpy(join(dir, 'reference', 'logits.npy'), logits.shape, logits.data)
    const res = await selfCheck(dir)
    expect(res.ok).toBe(true)
    const report = (res as { value: ParityCheckReport }).value
    expect(report.passed).toBe(false)
    const [l, s, c] = report.tensors
    expect(l).toMatchObject({ tensor: 'logits', passed: false, worstIndex: [pos, tok], reference: 'pytorch' })
    expect(l.relativeError).toBeGreaterThan(0.009)
    expect(l.expected).toBeCloseTo(logits.data[pos * V + tok], 5)
    expect(s.passed && c.passed).toBe(true)
    // the engine still agrees with the float64 reference: only the stored outputs are off
    expect(report.references.map((r) => [r.reference, r.passed])).toEqual([
      ['float64', true],
      ['pytorch', false],
    ])
  })

  it('checks a checkpoint without reference outputs against the float64 reference alone', async () => {
    const res = await selfCheck(copyCheckpoint('no-reference', false))
    expect(res.ok).toBe(true)
    const report = (res as { value: ParityCheckReport }).value
    expect(report.referenceDir).toBeNull()
    expect(report.references.map((r) => r.reference)).toEqual(['float64'])
    expect(report.tokens).toBe(report.ids.length)
    expect(report.tokens).toBeGreaterThan(1)
    expect(report.tensors.map((t) => [t.tensor, t.shape])).toEqual([
      ['logits', [report.tokens, 50264]],
      ['senses', [4, report.tokens, 16]],
      ['contextualization', [4, report.tokens, report.tokens]],
    ])
    for (const t of report.tensors) expect(t.relativeError).toBeLessThanOrEqual(1e-4)
    expect(report.passed).toBe(true)
  })

  it('reports progress as run.progressed for its run id, and run.cancel cancels it', async () => {
    await workbench.load(copyCheckpoint('progress', false))
    const seen: ApiEvents['run.progressed'][] = []
    let cancelReply: ReturnType<Dispatch> | null = null
    const off = workbench.events.subscribe((e) => {
      if (e.name !== 'run.progressed') return
      const p = e.payload as ApiEvents['run.progressed']
      seen.push(p)
      // cancel check-2 as soon as the float64 reference has read the checkpoint
      if (p.runId === 'check-2' && p.done >= 2 && !cancelReply) cancelReply = dispatch('run.cancel', { runId: 'check-2' })
    })
    try {
      expect((await dispatch('model.selfCheck', { runId: 'check-1' })).ok).toBe(true)
      expect(seen.length).toBeGreaterThan(3)
      expect(seen.every((p) => p.runId === 'check-1' && p.method === 'model.selfCheck')).toBe(true)
      expect(seen.at(-1)!.done).toBe(seen.at(-1)!.total)
      expect(seen.filter((p) => /layer \d+\/2/.test(p.message ?? ''))).toHaveLength(2) // tiny-fullvocab has 2 layers
      expect(await dispatch('model.selfCheck', { runId: 'check-2' })).toMatchObject({ ok: false, error: { code: 'cancelled' } })
      expect(await cancelReply).toEqual({ ok: true, value: { cancelled: true } })
    } finally {
      off()
    }
  })

  it('refuses reference outputs whose shapes do not fit the ids (checkpoint-shape)', async () => {
    const dir = copyCheckpoint('bad-shape', true)
    const senses = readNpy(join(dir, 'reference', 'senses.npy')) // (sense, pos, d_model)
    writeNpy(join(dir, 'reference', 'senses.npy'), [senses.data.length], senses.data)
    expect(await selfCheck(dir)).toMatchObject({ ok: false, error: { code: 'checkpoint-shape' } })
  })
})
