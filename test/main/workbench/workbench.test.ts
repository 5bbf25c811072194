import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDispatcher, type Dispatch } from '../../../src/main/ipc/create-dispatcher'
import { Workbench } from '../../../src/main/workbench/workbench'
import type { ApiEvent } from '../../../src/shared/ipc/api'

// The real service on the tiny full-vocabulary fixture: engine in its worker, temp cache and store.
const env = { ...process.env }
let workbench: Workbench
let dispatch: Dispatch

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bw-workbench-'))
  Object.assign(process.env, { BACKPACK_CACHE_DIR: join(dir, 'cache'), BACKPACK_DATA_DIR: join(dir, 'data') })
  workbench = new Workbench({ transport: 'http', version: 'test' })
  dispatch = createDispatcher(workbench.handlers())
  await workbench.load(resolve('test/fixtures/checkpoints/tiny-fullvocab'))
})
afterAll(async () => {
  await workbench?.dispose()
  process.env = env
})

describe('Workbench', () => {
  it('cancels a reverse lookup while the sense table builds, and reports progress for its runId', async () => {
    const events: ApiEvent[] = []
    const firstProgress = new Promise<void>((res) =>
      workbench.events.subscribe((e) => {
        events.push(e)
        if (e.name === 'run.progressed' && e.payload.runId === 'rev-1' && e.payload.done > 0) res()
      }),
    )
    const pending = dispatch('senses.reverse', { token: ' she', runId: 'rev-1' })
    await firstProgress
    expect(await dispatch('run.cancel', { runId: 'rev-1' })).toEqual({ ok: true, value: { cancelled: true } })
    expect(await pending).toMatchObject({ ok: false, error: { code: 'cancelled' } })
    expect(await dispatch('run.cancel', { runId: 'rev-1' })).toEqual({ ok: true, value: { cancelled: false } })
    const p = events.find((e) => e.name === 'run.progressed')!.payload as { method: string; total: number }
    expect(p).toMatchObject({ method: 'senses.reverse', total: 50264 })
  })

  it('refuses edits that do not fit the loaded model with edit-invalid, and attributes exactly under valid ones', async () => {
    const bad = { format: 'backpack-sense-edits', version: 1, edits: [{ kind: 'scale-sense', token: ' nurse', sense: 7, factor: 0 }] } // 4 senses
    expect(await dispatch('predict.next', { text: 'The nurse', edits: bad })).toMatchObject({ ok: false, error: { code: 'edit-invalid' } })
    const good = { ...bad, edits: [{ kind: 'scale-sense', token: ' nurse', sense: 1, factor: 3 }] }
    const res = (await dispatch('predict.attribute', { text: 'The nurse said', position: 2, target: ' that', edits: good })) as {
      ok: true
      value: { logit: number; total: number; edited: boolean; contributions: { value: number }[] }
    }
    expect(res.ok).toBe(true)
    expect(res.value.edited).toBe(true)
    expect(res.value.contributions).toHaveLength(3 * 4) // 3 source positions × 4 senses
    expect(Math.abs(res.value.total - res.value.logit)).toBeLessThan(1e-4 * Math.max(1, Math.abs(res.value.logit)))
  })

  it('refuses a prompt longer than the model takes with too-long', async () => {
    expect(await dispatch('predict.next', { text: ' the'.repeat(600) })).toMatchObject({ ok: false, error: { code: 'too-long' } })
  })
})
