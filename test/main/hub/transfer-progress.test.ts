import { describe, expect, it } from 'vitest'
import { TransferProgress } from '../../../src/main/hub/transfer-progress'

describe('TransferProgress (fake clock)', () => {
  it('measures the rate over transferred bytes only and derives the time left', () => {
    let t = 0
    const p = new TransferProgress(() => t)
    p.total = 10_000_000
    p.addExisting(2_000_000) // resumed bytes: done, but not part of the rate
    for (let i = 0; i < 5; i++) {
      t += 1000
      p.addTransferred(1_000_000)
    }
    expect(p.bytes).toBe(7_000_000)
    expect(p.rate()).toBeCloseTo(1_000_000, 6) // 4 MB over the 4 s between first and last sample
    expect(p.etaSeconds()).toBeCloseTo(3, 6)
  })

  it('throttles chunk events to one per 200 ms unless forced', () => {
    let t = 0
    const p = new TransferProgress(() => t)
    expect(p.due()).toBe(true)
    t = 100
    expect(p.due()).toBe(false)
    expect(p.due(true)).toBe(true)
    t = 301
    expect(p.due()).toBe(true)
  })
})
