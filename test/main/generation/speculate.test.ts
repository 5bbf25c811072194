import { describe, expect, it } from 'vitest'
import { generate, lookupDraft } from '../../../src/main/generation/generate'
import { parseSenseEditsFor } from '../../../src/main/interventions/apply-sense-edits'
import type { ContextDecoder } from '../../../src/main/runtime/backpack-engine'
import { gpt2Tokenizer } from '../../../src/main/tokenizer/gpt2-tokenizer'
import { expectAllClose } from '../../helpers/all-close'
import { useEngine } from './engine-fixture'

/** Speculative steps (prompt-lookup guesses checked by the step's own logits) on tiny-fullvocab. */
const fixture = useEngine('tiny-fullvocab')
const tok = gpt2Tokenizer()
// repetitive text, so that guesses exist from the first step on
const prompt = tok.encode(' one two three four one two three four one two three four one two three')

/** Runs generate while counting the decoder's multi-token appends and truncations. */
async function counted(options: Parameters<typeof generate>[1]) {
  const engine = fixture.engine()
  const stats = { appends: 0, multi: 0, truncates: 0 }
  const create = engine.createDecoder.bind(engine)
  engine.createDecoder = async () => {
    const dec = await create()
    const append = dec.append.bind(dec)
    const truncate = dec.truncate.bind(dec)
    const wrapped: ContextDecoder = Object.create(dec)
    wrapped.append = (ids, o) => {
      stats.appends++
      if (ids.length > 1 && stats.appends > 1) stats.multi++
      return append(ids, o)
    }
    wrapped.truncate = (n) => {
      stats.truncates++
      return truncate(n)
    }
    wrapped.dispose = () => dec.dispose()
    return wrapped
  }
  const rows: Float32Array[] = []
  try {
    const result = await generate(engine, { ...options, onLogits: (_, l) => rows.push(l.slice()) })
    return { result, rows, stats }
  } finally {
    engine.createDecoder = create
  }
}

describe('lookupDraft', () => {
  it('continues the latest earlier occurrence of the last 3 tokens, else of the last 2, up to max', () => {
    expect(lookupDraft([1, 2, 3, 9, 1, 2, 3, 7, 1, 2, 3], 2)).toEqual([7, 1])
    expect(lookupDraft([5, 1, 2, 8, 8, 4, 1, 2], 3)).toEqual([8, 8, 4])
    expect(lookupDraft([1, 2, 3, 4], 3)).toEqual([])
    expect(lookupDraft([1, 2, 1, 2], 5)).toEqual([1, 2])
    expect(lookupDraft([1, 2, 1, 2], 0)).toEqual([])
    expect(lookupDraft([1, 1], 4)).toEqual([])
  })
})

describe('speculative generation (tiny-fullvocab)', () => {
  it('greedy: the same ids and log-probs as one token at a time, logits within 1e-5 of scale, fewer passes', async () => {
    const plain = await counted({ ids: prompt, maxNewTokens: 40, speculate: 0 })
    expect(plain.stats.multi).toBe(0)
    expect(plain.result.speculation).toEqual({ guessed: 0, accepted: 0 })
    for (const speculate of [1, 4, 8]) {
      const fast = await counted({ ids: prompt, maxNewTokens: 40, speculate })
      expect(fast.result.ids, `speculate ${speculate}`).toEqual(plain.result.ids)
      fast.result.tokens.forEach((t, i) => expect(t.logProb).toBeCloseTo(plain.result.tokens[i].logProb, 4))
      expect(fast.rows).toHaveLength(plain.rows.length)
      fast.rows.forEach((row, step) =>
        expectAllClose(row, plain.rows[step], { rtolToScale: 1e-5, label: `speculate ${speculate}, step ${step}` }),
      )
      expect(fast.stats.multi, 'guesses were appended').toBeGreaterThan(0)
      expect(fast.stats.appends).toBeLessThan(plain.stats.appends)
      const { guessed, accepted } = fast.result.speculation
      expect(accepted).toBeGreaterThan(0)
      expect(accepted).toBeLessThanOrEqual(guessed)
      expect(fast.stats.appends + accepted, 'one pass per token not guessed right').toBe(plain.stats.appends)
    }
  })

  it('incremental with speculation equals full recomputation under vector and α edits', async () => {
    const engine = fixture.engine()
    const edits = parseSenseEditsFor(engine, {
      format: 'backpack-sense-edits',
      version: 1,
      edits: [
        { kind: 'scale-sense', token: ' two', sense: [0, 2], factor: 0.3 },
        { kind: 'knowledge-edit', token: ' three', remove: ' four', add: ' five' },
        { kind: 'scale-contextualization', position: 2, sense: 1, factor: 3 },
        { kind: 'scale-contextualization', position: 5, factor: 0.5, renormalize: true },
      ],
    }).edits
    const fast = await counted({ ids: prompt, maxNewTokens: 30, edits })
    const full = await counted({ ids: prompt, maxNewTokens: 30, edits, recompute: 'full' })
    expect(fast.result.ids).toEqual(full.result.ids)
    fast.rows.forEach((row, step) => expectAllClose(row, full.rows[step], { rtolToScale: 1e-5, label: `step ${step}` }))
    expect(fast.stats.multi).toBeGreaterThan(0)
  })

  it('sampling: the same tokens for the same seed as one token at a time, wrong guesses dropped', async () => {
    for (const seed of [1, 2, 3]) {
      const settings = { ids: prompt, maxNewTokens: 30, strategy: 'sample' as const, temperature: 0.3, topK: 2, seed }
      const plain = await counted({ ...settings, speculate: 0 })
      const fast = await counted({ ...settings, speculate: 4 })
      expect(fast.result.ids, `seed ${seed}`).toEqual(plain.result.ids)
      fast.rows.forEach((row, step) => expectAllClose(row, plain.rows[step], { rtolToScale: 1e-5, label: `seed ${seed}, step ${step}` }))
      expect(fast.stats.multi).toBeGreaterThan(0)
      if (seed === 1) expect(fast.stats.truncates, 'some guesses were wrong at temperature 0.3, top-2').toBeGreaterThan(0)
    }
  })

  it('stops exactly where one token at a time stops: max new tokens and the 512-position limit', async () => {
    for (const maxNewTokens of [1, 2, 3, 5]) {
      const plain = await generate(fixture.engine(), { ids: prompt, maxNewTokens, speculate: 0 })
      const fast = await generate(fixture.engine(), { ids: prompt, maxNewTokens, speculate: 8 })
      expect(fast.ids).toEqual(plain.ids)
      expect(fast.stopReason).toBe(plain.stopReason)
    }
    const long = Array.from({ length: 500 }, (_, i) => prompt[i % prompt.length])
    const plain = await generate(fixture.engine(), { ids: long, maxNewTokens: 40, speculate: 0 })
    const fast = await generate(fixture.engine(), { ids: long, maxNewTokens: 40, speculate: 8 })
    expect(plain.stopReason).toBe('position-limit')
    expect(fast.stopReason).toBe('position-limit')
    expect(fast.ids).toEqual(plain.ids)
    expect(fast.ids).toHaveLength(12)
    await expect(generate(fixture.engine(), { ids: prompt, speculate: -1 })).rejects.toMatchObject({ code: 'bad-request' })
  })
})
