import { describe, expect, it } from 'vitest'
import { formatBytes, formatDuration, formatProgress } from '../../../src/main/hub/format-progress'
import type { HubDownloadProgress } from '../../../src/main/hub/transfer-progress'

const event = (over: Partial<HubDownloadProgress>): HubDownloadProgress => ({
  phase: 'downloading',
  file: 'model.safetensors',
  fileBytes: 0,
  fileTotal: 0,
  bytes: 0,
  total: 0,
  rate: 0,
  etaSeconds: null,
  ...over,
})

describe('CLI progress line', () => {
  it('writes sizes in decimal units with one decimal', () => {
    expect(formatBytes(0)).toBe('0 B')
    expect(formatBytes(999)).toBe('999 B')
    expect(formatBytes(1000)).toBe('1.0 kB')
    expect(formatBytes(684_000_000)).toBe('684.0 MB')
    expect(formatBytes(2.5e12)).toBe('2.5 TB')
  })

  it('writes time left as m:ss or h:mm:ss, and --:-- when unknown', () => {
    expect(formatDuration(0)).toBe('0:00')
    expect(formatDuration(65)).toBe('1:05')
    expect(formatDuration(3 * 3600 + 7 * 60 + 9)).toBe('3:07:09')
    expect(formatDuration(null)).toBe('--:--')
    expect(formatDuration(Infinity)).toBe('--:--')
  })

  it('shows the file, a bar, percent, bytes done/total, rate and time left', () => {
    const line = formatProgress(event({ bytes: 410_400_000, total: 684_000_000, rate: 12_400_000, etaSeconds: 22 }), 10)
    expect(line).toBe('model.safetensors [██████░░░░]  60%  410.4 MB/684.0 MB  12.4 MB/s  ETA 0:22')
  })

  it('names the phase when resolving, verifying and done', () => {
    expect(formatProgress(event({ phase: 'resolving', file: null }))).toBe('resolving files on the Hub…')
    expect(formatProgress(event({ phase: 'verifying', bytes: 5, total: 10 }), 4)).toMatch(/^verifying model\.safetensors \[██░░\] {2}50%/)
    expect(formatProgress(event({ phase: 'done', file: null, bytes: 10, total: 10, etaSeconds: 0 }), 4)).toMatch(
      /^done \[████\] 100% .* ETA 0:00$/,
    )
    // nothing to download (all cached): a full bar, not a division by zero
    expect(formatProgress(event({ phase: 'done', file: null }), 4)).toMatch(/^done \[████\] 100%/)
  })
})

describe('formatProgress on a 684 MB file', () => {
  it('renders a bar with bytes, rate and ETA', () => {
    const line = formatProgress(
      {
        phase: 'downloading',
        file: 'pytorch_model.bin',
        fileBytes: 0,
        fileTotal: 0,
        bytes: 342_000_000,
        total: 684_000_000,
        rate: 12_400_000,
        etaSeconds: 27.6,
      },
      10,
    )
    expect(line).toBe('pytorch_model.bin [█████░░░░░]  50%  342.0 MB/684.0 MB  12.4 MB/s  ETA 0:28')
    expect(formatBytes(999)).toBe('999 B')
    expect(formatDuration(3725)).toBe('1:02:05')
    expect(formatDuration(null)).toBe('--:--')
  })
})
