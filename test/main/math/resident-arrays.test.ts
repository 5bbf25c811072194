import { afterEach, describe, expect, it } from 'vitest'
import { ResidentArrays } from '../../../src/main/math/resident-arrays'

/** Waits (the helper thread works meanwhile) until `ok` holds, or fails after ~5 s. */
async function until(ok: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !ok(); i++) await new Promise((r) => setTimeout(r, 10))
  expect(ok()).toBe(true)
}

describe('ResidentArrays', () => {
  const made: ResidentArrays[] = []
  const arrays = (budget?: number) => {
    const a = new ResidentArrays(budget)
    made.push(a)
    return a
  }
  afterEach(async () => {
    await Promise.all(made.splice(0).map((a) => a.dispose()))
  })

  it('hands out the reserved arrays made by the helper thread: zero-filled, the asked length, each once', async () => {
    const a = arrays()
    a.reserve(5000, 3)
    await until(() => a.ready().get(5000) === 3)
    const taken = [a.take(5000), a.take(5000), a.take(5000)]
    for (const t of taken) {
      expect(t).toBeInstanceOf(Float32Array)
      expect(t.length).toBe(5000)
      expect(t.every((x) => x === 0)).toBe(true)
      expect(t.buffer.byteLength).toBe(5000 * 4) // an ordinary array of its own, not a view of a pool
    }
    expect(new Set(taken.map((t) => t.buffer)).size).toBe(3)
    taken[0].fill(7) // the caller's from now on: nothing else writes it
    // replacements follow; meanwhile a take allocates
    expect(a.take(5000).length).toBe(5000)
    await until(() => a.ready().get(5000) === 3)
    expect(taken[0].every((x) => x === 7)).toBe(true)
  })

  it('allocates as new Float32Array for lengths never reserved', () => {
    const a = arrays()
    const t = a.take(123)
    expect(t.length).toBe(123)
    expect(t.every((x) => x === 0)).toBe(true)
    expect(a.ready().size).toBe(0)
  })

  it('keeps within its budget: fewer arrays than asked, and older lengths dropped for a new one', async () => {
    const a = arrays(10_000)
    a.reserve(4000, 5) // two fit
    await until(() => a.ready().get(4000) === 2)
    a.reserve(3000, 2) // 8000 + 6000 > 10,000: the 4000s go
    await until(() => a.ready().get(3000) === 2)
    expect(a.ready().has(4000)).toBe(false)
    expect(a.take(4000).length).toBe(4000)
    a.reserve(20_000, 1) // larger than the whole budget: nothing is made
    await new Promise((r) => setTimeout(r, 100))
    expect(a.ready().get(20_000)).toBe(0)
  })

  it('after dispose, takes still allocate and reservations do nothing', async () => {
    const a = arrays()
    a.reserve(100, 2)
    await until(() => a.ready().get(100) === 2)
    await a.dispose()
    a.reserve(100, 2)
    expect(a.take(100).length).toBe(100)
    expect(a.ready().size).toBe(0)
  })
})
