import { describe, expect, it } from 'vitest'
import { TransferProgress } from '../../../src/main/hub/transfer-progress'
import { formatBytes, formatDuration, formatProgress } from '../../../src/main/hub/format-progress'

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

describe('formatProgress', () => {
  it('renders a bar with bytes, rate and ETA', () => {
    const line = formatProgress({ phase: 'downloading', file: 'pytorch_model.bin', fileBytes: 0, fileTotal: 0, bytes: 342_000_000, total: 684_000_000, rate: 12_400_000, etaSeconds: 27.6 }, 10)
    expect(line).toBe('pytorch_model.bin [█████░░░░░]  50%  342.0 MB/684.0 MB  12.4 MB/s  ETA 0:28')
    expect(formatBytes(999)).toBe('999 B')
    expect(formatDuration(3725)).toBe('1:02:05')
    expect(formatDuration(null)).toBe('--:--')
  })
})
