import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadBackgroundText, type BackgroundText } from '../../../src/main/finetune/background-text'
import { parseCanonicalExamples, type CanonicalExample } from '../../../src/main/finetune/canonical-examples'
import { FINETUNE_DEFAULTS, type FinetuneOptions } from '../../../src/main/finetune/finetune-options'
import { runFinetune, type FinetuneResult } from '../../../src/main/finetune/run-finetune'
import { analysisRunner, parseSenseEditsFor } from '../../../src/main/interventions/apply-sense-edits'
import { predictTokens } from '../../../src/main/prediction/predict-tokens'
import { openEngine } from '../../../src/main/runtime/open-engine'
import type { WorkerEngine } from '../../../src/main/runtime/worker-engine'
import { tokenLogProbs } from '../../../src/main/suites/sequence-metrics'
import { gpt2Tokenizer } from '../../../src/main/tokenizer/gpt2-tokenizer'
import { WorkbenchError } from '../../../src/shared/errors'
import type { ParsedSenseEdits } from '../../../src/shared/edits/parse-sense-edits'

/**
 * Fine-tuning on the bundled demo with its shipped canonical examples (three country–capital
 * definitions) and the default background (the demo's held-out text): the canonical loss falls
 * substantially, the background NLL stays inside the ball, and both numbers are recomputed
 * independently from the saved edit document through the ordinary predict path.
 */
const DEMO = join(import.meta.dirname, '../../../resources/demo-backpack')

describe('fine-tuning on the demo Backpack', () => {
  let engine: WorkerEngine
  let cache = ''
  const saved = process.env.BACKPACK_CACHE_DIR
  let examples: CanonicalExample[]
  let background: BackgroundText
  let result: FinetuneResult
  const options: FinetuneOptions = { ...FINETUNE_DEFAULTS, loss: 'nll', maxDegradation: 1e-3 }

  beforeAll(async () => {
    cache = mkdtempSync(join(tmpdir(), 'finetune-demo-'))
    process.env.BACKPACK_CACHE_DIR = cache
    engine = await openEngine({ checkpointDir: DEMO, provider: 'cpu' })
    const tok = gpt2Tokenizer()
    const text = readFileSync(join(DEMO, 'canonical/capitals.jsonl'), 'utf8')
    examples = parseCanonicalExamples(text, {
      loss: 'nll',
      tokenize: (s) => tok.encode(s),
      nPositions: engine.config.nPositions,
      vocabSize: engine.config.vocabSize,
    })
    background = await loadBackgroundText(undefined)
    result = await runFinetune(engine, { examples, background, options })
  }, 600_000)
  afterAll(async () => {
    await engine?.dispose()
    if (saved === undefined) delete process.env.BACKPACK_CACHE_DIR
    else process.env.BACKPACK_CACHE_DIR = saved
    rmSync(cache, { recursive: true, force: true })
  })

  /** Mean over examples of the suffix's summed NLL, through predictTokens under the edits. */
  async function canonicalLoss(edits: ParsedSenseEdits | null): Promise<number> {
    const runner = analysisRunner(engine)
    let total = 0
    for (const ex of examples) {
      const ids = [...ex.prefix, ...ex.suffixes[0]]
      const p = await predictTokens(runner, ids, { top: 1, edits })
      total -= p.logProbs.filter((l) => l.position >= ex.prefix.length).reduce((s, l) => s + l.logProb, 0)
    }
    return total / examples.length
  }

  async function backgroundNll(edits: ParsedSenseEdits | null): Promise<number> {
    const lp = await tokenLogProbs(analysisRunner(engine), background.ids, edits)
    return -lp.reduce((s, x) => s + x, 0) / lp.length
  }

  it('selects senses of the example tokens, trains, and keeps an epoch inside the ball', () => {
    expect(background.isDefault).toBe(true)
    expect(result.selected.length).toBeGreaterThan(0)
    const exampleTokens = new Set(examples.flatMap((e) => [...e.prefix, ...e.suffixes[0]]))
    for (const s of result.selected) expect(exampleTokens.has(s.token)).toBe(true)
    expect(result.epochKept).not.toBeNull()
    expect(result.after).not.toBeNull()
    const after = result.after!
    expect(after.canonicalLoss).toBeLessThan(0.6 * result.before.canonicalLoss) // falls substantially
    expect(after.backgroundNll).toBeLessThanOrEqual(result.backgroundNllLimit!)
    expect(result.backgroundNllLimit!).toBeCloseTo((1 + 1e-3) * result.before.backgroundNll, 10)
    expect(result.history).toHaveLength(options.epochs)
  })

  it('the saved document gives the printed losses through the ordinary predict path', async () => {
    const doc = JSON.parse(JSON.stringify(result.document)) // as written to disk
    const { edits, warnings } = parseSenseEditsFor(engine, doc)
    expect(warnings).toEqual([])
    expect(edits.checkpoint).toBe(engine.contentHash)
    expect(edits.edits.every((e) => e.kind === 'add-sense')).toBe(true)
    expect(edits.edits).toHaveLength(result.selected.length)
    expect(await canonicalLoss(null)).toBeCloseTo(result.before.canonicalLoss, 4)
    expect(await canonicalLoss(edits)).toBeCloseTo(result.after!.canonicalLoss, 4)
    expect(await backgroundNll(null)).toBeCloseTo(result.before.backgroundNll, 5)
    expect(await backgroundNll(edits)).toBeCloseTo(result.after!.backgroundNll, 5)
  }, 300_000)

  it('is deterministic for a seed (mini-batches in a seeded order)', async () => {
    const small: FinetuneOptions = { ...options, epochs: 1, batchSize: 1, seed: 7 }
    const a = await runFinetune(engine, { examples, background, options: small })
    const b = await runFinetune(engine, { examples, background, options: small })
    expect(b.document).toEqual(a.document)
    expect(b.history).toEqual(a.history)
    expect(a.background.statisticsCached).toBe(true) // the background statistics were kept from the first run
  }, 300_000)

  it('returns no edit when no epoch stays inside a ball too small to hold any change', async () => {
    const r = await runFinetune(engine, { examples, background, options: { ...options, epochs: 1, maxDegradation: 1e-12 } })
    expect(r.history[0].backgroundNll).toBeGreaterThan((1 + 1e-12) * r.before.backgroundNll)
    expect(r.epochKept).toBeNull()
    expect(r.after).toBeNull()
    expect(r.document).toBeNull()
  }, 300_000)

  it('stops with a cancelled error when aborted mid-run', async () => {
    const controller = new AbortController()
    const run = runFinetune(engine, {
      examples,
      background,
      options: { ...options, epochs: 5 },
      signal: controller.signal,
      onProgress: () => controller.abort(),
    })
    const err = await run.catch((e: unknown) => e)
    expect(err).toBeInstanceOf(WorkbenchError)
    expect((err as WorkbenchError).code).toBe('cancelled')
  }, 300_000)
})
