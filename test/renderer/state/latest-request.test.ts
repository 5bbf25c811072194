import { describe, expect, it } from 'vitest'
import { LatestRequest } from '../../../src/renderer/src/state/latest-request.svelte'
import type { Result } from '../../../src/shared/errors'

function deferred<T>() {
  let resolve!: (v: T) => void
  const promise = new Promise<T>((r) => (resolve = r))
  return { promise, resolve }
}

describe('LatestRequest', () => {
  it('keeps the latest answer and what it is about, drops an older answer that arrives later', async () => {
    const r = new LatestRequest<number, string>()
    const slow = deferred<Result<number>>()
    const first = r.run('a', () => slow.promise)
    expect(r.busy).toBe(true)
    expect(await r.run('b', async () => ({ ok: true, value: 2 }))).toBe(true)
    slow.resolve({ ok: true, value: 1 })
    expect(await first).toBe(false)
    expect(r.value).toBe(2)
    expect(r.about).toBe('b')
    expect(r.busy).toBe(false)
  })

  it('an error replaces the value (no old value under new inputs); clear() drops an answer in flight', async () => {
    const r = new LatestRequest<number, string>()
    await r.run('a', async () => ({ ok: true, value: 1 }))
    await r.run('b', async () => ({ ok: false, error: { code: 'not-found', message: 'x' } }))
    expect(r.value).toBeNull()
    expect(r.about).toBe('b')
    expect(r.error?.code).toBe('not-found')
    const slow = deferred<Result<number>>()
    const pending = r.run('c', () => slow.promise)
    r.clear()
    slow.resolve({ ok: true, value: 3 })
    expect(await pending).toBe(false)
    expect([r.value, r.about, r.error, r.busy]).toEqual([null, null, null, false])
  })
})
