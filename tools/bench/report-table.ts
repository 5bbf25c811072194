import type { PhaseResult } from './bench-common'

/** The bench's comparison table: one row per metric, ours next to the PyTorch reference. */
export interface BenchRow {
  metric: string
  unit: 'ms' | 's' | 'MB' | 'tok/s' | 'jobs/s'
  ours: number | null
  reference: number | null
  target: string
  /** true when larger is better (rates): the ratio is then read as a speed-up */
  higherIsBetter?: boolean
}

function pick(results: readonly PhaseResult[], phase: string, key: string): number | null {
  const v = results.find((r) => r.phase === phase)?.figures[key]
  return typeof v === 'number' && Number.isFinite(v) ? v : null
}

const s = (ms: number | null) => (ms === null ? null : ms / 1000)

export function buildRows(ours: readonly PhaseResult[], ref: PhaseResult, store: PhaseResult): BenchRow[] {
  const o = (phase: string, key: string) => pick(ours, phase, key)
  const r = (key: string) => pick([ref], 'reference', key)
  const st = (key: string) => pick([store], 'store', key)
  // loads as the built CLI opens the model (process phase: `forward`'s own open timing, worker
  // start included), else as the engine phase measured them (its worker loads through tsx)
  const load = (processKey: string, phase: string, key: string) => o('process', processKey) ?? o(phase, key)
  return [
    { metric: 'conversion (read + write ONNX)', unit: 's', ours: s(o('convert', 'conversionMs')), reference: null, target: '< 20 s' },
    {
      metric: 'cold load (empty cache: convert + open, mapped weights) vs torch load',
      unit: 's',
      ours: s(load('cliColdLoadMs', 'convert', 'coldLoadMs')),
      reference: s(r('loadMs')),
      target: '≤ 2× PyTorch',
    },
    {
      metric: 'cached load, mapped weights (CLI one-shot) vs torch load',
      unit: 's',
      ours: s(load('cliCachedLoadMappedMs', 'run', 'cachedLoadMappedMs')),
      reference: s(r('loadMs')),
      target: '≤ 0.6× PyTorch',
    },
    {
      metric: 'cached load, pre-packed weights (app) vs torch load',
      unit: 's',
      ours: s(load('cliCachedLoadPrepackedMs', 'run', 'cachedLoadMs')),
      reference: s(r('loadMs')),
      target: '< 2 s',
    },
    {
      metric: 'Node start (node -e 0): the floor of a Node process',
      unit: 's',
      ours: s(o('process', 'nodeStartMs')),
      reference: null,
      target: '',
    },
    {
      metric: 'CLI start: help (built CLI, plain node)',
      unit: 's',
      ours: s(o('process', 'cliHelpMs')),
      reference: null,
      target: '≤ 0.3 s',
    },
    { metric: 'CLI start: info (cached checkpoint)', unit: 's', ours: s(o('process', 'cliInfoMs')), reference: null, target: '≤ 0.3 s' },
    {
      metric: 'whole process: forward T=512 → 3 .npy (cached model)',
      unit: 's',
      ours: s(o('process', 'processForwardT512Ms')),
      reference: s(o('process', 'referenceProcessForwardT512Ms')),
      target: '≤ 0.5× PyTorch',
    },
    {
      metric: 'whole process, forward --weights prepacked',
      unit: 's',
      ours: s(o('process', 'processForwardT512PrepackedMs')),
      reference: s(o('process', 'referenceProcessForwardT512Ms')),
      target: '',
    },
    { metric: 'forward T=64 (all outputs)', unit: 'ms', ours: o('run', 'forwardT64Ms'), reference: r('forwardT64Ms'), target: '' },
    {
      metric: 'forward T=512 (all outputs)',
      unit: 'ms',
      ours: o('run', 'forwardT512Ms'),
      reference: r('forwardT512Ms'),
      target: '≤ 0.85× PyTorch',
    },
    { metric: 'RSS after cached load + forwards', unit: 'MB', ours: o('run', 'rssAfterForwardMb'), reference: null, target: '< 1500 MB' },
    {
      metric: 'peak RSS: load + forwards + analysis',
      unit: 'MB',
      ours: o('run', 'peakRssMb'),
      reference: r('peakRssMb'),
      target: '< 1500 MB',
    },
    { metric: 'peak RSS: conversion', unit: 'MB', ours: o('convert', 'peakRssMb'), reference: null, target: '' },
    {
      metric: 're-run T=32 after edits (α reused)',
      unit: 'ms',
      ours: o('run', 'editsRerunT32Ms'),
      reference: r('combineT32Ms'),
      target: '≤ 10 ms',
    },
    {
      metric: "one word's sense atlas (16 × top/bottom 10)",
      unit: 'ms',
      ours: o('run', 'atlasMs'),
      reference: r('atlasMs'),
      target: '≤ 30 ms',
    },
    { metric: 'sense atlas: first call after opening', unit: 'ms', ours: o('run', 'atlasFirstMs'), reference: null, target: '' },
    {
      metric: 'generation 64+128, ours incremental vs ref full recompute',
      unit: 'tok/s',
      ours: o('run', 'generationTokensPerS'),
      reference: r('generationTokensPerS'),
      target: '≥ 25 tok/s',
      higherIsBetter: true,
    },
    {
      metric: 'generation 64+128, ours incremental + speculation (default)',
      unit: 'tok/s',
      ours: o('run', 'generationSpeculativeTokensPerS'),
      reference: r('generationTokensPerS'),
      target: '',
      higherIsBetter: true,
    },
    {
      metric: 'generation 64+128, full recompute both',
      unit: 'tok/s',
      ours: o('run', 'generationFullRecomputeTokensPerS'),
      reference: r('generationTokensPerS'),
      target: '',
      higherIsBetter: true,
    },
    {
      metric: 'whole-vocabulary sense table build',
      unit: 's',
      ours: s(o('table', 'senseTableBuildMs')),
      reference: s(r('senseTableMs')),
      target: '≤ 0.7× PyTorch',
    },
    { metric: 'peak RSS: sense table phase', unit: 'MB', ours: o('table', 'peakRssMb'), reference: null, target: '' },
    { metric: 'reverse lookup (one target token)', unit: 'ms', ours: o('table', 'reverseLookupMs'), reference: null, target: '≤ 150 ms' },
    {
      metric: 'topic scores: whole-vocab max/min of E·C (exact fp32, once per checkpoint)',
      unit: 's',
      ours: s(o('topic', 'topicScoresBuildMs')),
      reference: null,
      target: 'reported',
    },
    { metric: 'topic: open the cached table with scores', unit: 's', ours: s(o('topic', 'topicTableOpenMs')), reference: null, target: '' },
    { metric: 'topic steps 1–2 for one bag (exact δ)', unit: 'ms', ours: o('topic', 'topicStep1Ms'), reference: null, target: '' },
    {
      metric: 'topic suite: 2 topics × 3 strengths × 2 × 20 tokens',
      unit: 's',
      ours: s(o('topic', 'topicSuiteMs')),
      reference: null,
      target: 'reported',
    },
    { metric: 'peak RSS: topic phase', unit: 'MB', ours: o('topic', 'peakRssMb'), reference: null, target: '' },
    {
      metric: 'fine-tune: one epoch, 10 examples (same senses; PyTorch autograd)',
      unit: 'ms',
      ours: o('finetune', 'finetuneEpochMs'),
      reference: o('finetune', 'referenceFinetuneEpochMs'),
      target: 'reported',
    },
    {
      metric: 'demo: first reverse lookup (cold cache)',
      unit: 's',
      ours: s(o('demo', 'demoReverseColdMs')),
      reference: null,
      target: '≤ 10 s',
    },
    { metric: 'demo: first topic run (cold cache)', unit: 's', ours: s(o('demo', 'demoTopicColdMs')), reference: null, target: '≤ 120 s' },
    { metric: 'store: list a page (10k exp, 100k runs)', unit: 'ms', ours: st('listPageMs'), reference: null, target: '≤ 50 ms' },
    { metric: 'store: search', unit: 'ms', ours: st('searchMs'), reference: null, target: '≤ 100 ms' },
    { metric: 'store: compare 10 experiments', unit: 'ms', ours: st('compare10Ms'), reference: null, target: '≤ 200 ms' },
    { metric: 'store: database size', unit: 'MB', ours: st('databaseMb'), reference: null, target: 'reported' },
  ]
}

function fmt(v: number | null, unit: BenchRow['unit']): string {
  if (v === null) return 'not available'
  const digits = unit === 's' ? 2 : v >= 100 ? 0 : 1
  return `${v.toFixed(digits)} ${unit}`
}

/** Plain-text table; ratio = ours / PyTorch (for tok/s: the speed-up of ours). */
export function renderTable(rows: readonly BenchRow[]): string {
  const cells = rows.map((row) => [
    row.metric,
    fmt(row.ours, row.unit),
    row.reference === null ? '—' : fmt(row.reference, row.unit),
    row.ours !== null && row.reference !== null && row.reference > 0 ? `${(row.ours / row.reference).toFixed(2)}×` : '—',
    row.target,
  ])
  const head = ['metric', 'ours', 'PyTorch', 'ratio ours/PyTorch', 'target']
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)))
  const line = (c: string[]) => c.map((x, i) => (i === 0 ? x.padEnd(widths[i]) : x.padStart(widths[i]))).join('  ')
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n')
}
