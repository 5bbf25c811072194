import { describe, expect, it } from 'vitest'
import { benchIds, median, parsePhaseResult, PHASE_RESULT_PREFIX } from '../../../tools/bench/bench-common'
import { buildRows, renderTable } from '../../../tools/bench/report-table'

describe('bench table', () => {
  it('puts ours next to the reference with ours/PyTorch ratios and marks missing figures', () => {
    const rows = buildRows(
      [
        { phase: 'convert', figures: { conversionMs: 12_000, coldLoadMs: 15_000, peakRssMb: 1400 }, notes: [] },
        {
          phase: 'run',
          figures: { cachedLoadMs: 1500, cachedLoadMappedMs: 900, forwardT64Ms: 100, forwardT512Ms: 600, atlasMs: null },
          notes: [],
        },
        { phase: 'finetune', figures: { finetuneEpochMs: 250, referenceFinetuneEpochMs: 1000 }, notes: [] },
      ],
      { phase: 'reference', figures: { loadMs: 3000, forwardT64Ms: 200, forwardT512Ms: 1500 }, notes: [] },
      { phase: 'store', figures: {}, notes: [] },
    )
    const table = renderTable(rows)
    const line = (metric: string) => table.split('\n').find((l) => l.startsWith(metric)) ?? ''
    expect(line('forward T=512')).toMatch(/600 ms\s+1500 ms\s+0\.40×/)
    expect(line('cached load, pre-packed')).toMatch(/1\.50 s\s+3\.00 s\s+0\.50×/)
    expect(line('cached load, mapped')).toMatch(/0\.90 s\s+3\.00 s\s+0\.30×/)
    expect(line('conversion')).toMatch(/12\.00 s\s+—\s+—/)
    expect(line("one word's sense atlas")).toMatch(/not available/)
    expect(line('store: search')).toMatch(/not available/)
    expect(line('fine-tune: one epoch')).toMatch(/250 ms\s+1000 ms\s+0\.25×/)
  })

  it('takes the loads from the built CLI (process phase) when it ran', () => {
    const rows = buildRows(
      [
        { phase: 'convert', figures: { coldLoadMs: 15_000 }, notes: [] },
        { phase: 'run', figures: { cachedLoadMs: 1500, cachedLoadMappedMs: 900 }, notes: [] },
        { phase: 'process', figures: { cliColdLoadMs: 6000, cliCachedLoadMappedMs: 300, cliCachedLoadPrepackedMs: 1200 }, notes: [] },
      ],
      { phase: 'reference', figures: { loadMs: 3000 }, notes: [] },
      { phase: 'store', figures: {}, notes: [] },
    )
    const table = renderTable(rows)
    const line = (metric: string) => table.split('\n').find((l) => l.startsWith(metric)) ?? ''
    expect(line('cold load')).toMatch(/6\.00 s\s+3\.00 s\s+2\.00×/)
    expect(line('cached load, mapped')).toMatch(/0\.30 s\s+3\.00 s\s+0\.10×/)
    expect(line('cached load, pre-packed')).toMatch(/1\.20 s\s+3\.00 s\s+0\.40×/)
  })
})

describe('bench helpers', () => {
  it('median of odd and even counts', () => {
    expect(median([5, 1, 3])).toBe(3)
    expect(median([4, 1, 3, 2])).toBe(2.5)
  })

  it('benchIds are deterministic, in range and never padding ids', () => {
    const a = benchIds(512, 50264, 7)
    expect(a).toEqual(benchIds(512, 50264, 7))
    expect(a).not.toEqual(benchIds(512, 50264, 8))
    expect(Math.max(...a)).toBeLessThan(50257)
    expect(Math.min(...benchIds(100, 300, 1))).toBeGreaterThanOrEqual(0)
    expect(Math.max(...benchIds(100, 300, 1))).toBeLessThan(300)
  })

  it('finds the result line among other output', () => {
    const r = parsePhaseResult(`noise\n${PHASE_RESULT_PREFIX}{"phase":"run","figures":{"a":1},"notes":[]}\n`)
    expect(r.figures.a).toBe(1)
    expect(() => parsePhaseResult('nothing here')).toThrow(/no BENCH_RESULT line/)
  })
})
