import { describe, expect, it } from 'vitest'
import { generate } from '../../../src/main/generation/generate'
import { generateCompare } from '../../../src/main/generation/generate-compare'
import { parseSenseEditsFor } from '../../../src/main/interventions/apply-sense-edits'
import { interventionRunner } from '../../../src/main/interventions/intervention-runner'
import { attributeLogit } from '../../../src/main/prediction/attribute-logit'
import { gpt2Tokenizer } from '../../../src/main/tokenizer/gpt2-tokenizer'
import { expectAllClose } from '../../helpers/all-close'
import { useEngine } from './engine-fixture'

/** Generation on the real engine, tiny-fullvocab (d 16, 4 senses, vocab 50264, 512 positions). */
const fixture = useEngine('tiny-fullvocab')
const doc = (edits: unknown[]) => ({ format: 'backpack-sense-edits', version: 1, edits })
const prompt = gpt2Tokenizer().encode('The MacBook is made by Apple, and the MacBook')

async function stepLogits(options: Parameters<typeof generate>[1]) {
  const rows: Float32Array[] = []
  const result = await generate(fixture.engine(), { ...options, onLogits: (_, l) => rows.push(l.slice()) })
  return { result, rows }
}

describe('generate (tiny-fullvocab)', () => {
  it('incremental decoding equals full recomputation: logits at every step (1e-5 of scale) and the greedy ids', async () => {
    const engine = fixture.engine()
    const edits = parseSenseEditsFor(engine, doc([
      { kind: 'scale-sense', token: ' MacBook', sense: [1, 3], factor: 0.2 },
      { kind: 'knowledge-edit', token: ' MacBook', remove: ' Apple', add: ' HP' },
      { kind: 'scale-contextualization', position: 1, sense: 2, factor: 3 },
      { kind: 'scale-contextualization', position: 4, factor: 0.5, renormalize: true },
    ])).edits
    for (const e of [null, edits]) {
      const inc = await stepLogits({ ids: prompt, maxNewTokens: 24, edits: e })
      const full = await stepLogits({ ids: prompt, maxNewTokens: 24, edits: e, recompute: 'full' })
      expect(inc.result.ids).toHaveLength(24)
      expect(inc.result.ids).toEqual(full.result.ids)
      expect(inc.rows).toHaveLength(24)
      inc.rows.forEach((row, step) => expectAllClose(row, full.rows[step], { rtolToScale: 1e-5, label: `step ${step} logits` }))
    }
  })

  it('is reproducible: same seed and settings → same tokens; different seeds differ', async () => {
    const engine = fixture.engine()
    const settings = { ids: prompt, maxNewTokens: 20, strategy: 'sample' as const, temperature: 1.3, topK: 500, topP: 0.95 }
    const a = await generate(engine, { ...settings, seed: 11 })
    const b = await generate(engine, { ...settings, seed: 11 })
    const c = await generate(engine, { ...settings, seed: 12 })
    expect(a.ids).toHaveLength(20)
    expect(b.ids).toEqual(a.ids)
    expect(b.text).toBe(a.text)
    expect(c.ids).not.toEqual(a.ids)
    expect(a.decoding).toEqual({ strategy: 'sample', temperature: 1.3, topK: 500, topP: 0.95, seed: 11 })
    for (const t of [...a.tokens, ...c.tokens]) {
      expect(t.id).toBeLessThan(50257)
      expect(t.logProb).toBeLessThan(0)
    }
  })

  it('stops at max new tokens, at the 512-position limit, and at <|endoftext|>', async () => {
    const engine = fixture.engine()
    expect((await generate(engine, { ids: prompt, maxNewTokens: 3 })).stopReason).toBe('max-new-tokens')
    expect((await generate(engine, { ids: prompt, maxNewTokens: 0 })).ids).toEqual([])
    const long = Array.from({ length: 509 }, (_, i) => (i * 7919) % 50000)
    const atLimit = await generate(engine, { ids: long, maxNewTokens: 10 })
    expect(atLimit.stopReason).toBe('position-limit')
    expect(atLimit.ids).toHaveLength(3) // 509 + 3 = 512
    await expect(generate(engine, { ids: [...long, 1, 2, 3, 4], maxNewTokens: 1 })).rejects.toMatchObject({ code: 'too-long' })
    // make <|endoftext|> the certain choice: find a direction u where E·u peaks at 50256
    // (perceptron steps u += E[eos] − E[winner]), then set every sense of every prompt token to 100·u
    const runner = interventionRunner(engine)
    const [eos] = await runner.embedding([50256])
    const u = Float64Array.from(eos)
    for (let it = 0; it < 500; it++) {
      const scores = await engine.project(Float32Array.from(u), 1)
      let win = 0
      for (let v = 0; v < 50257; v++) if (scores[v] > scores[win]) win = v
      if (win === 50256) break
      const [ew] = await runner.embedding([win])
      for (let c = 0; c < u.length; c++) u[c] += eos[c] - ew[c]
    }
    const values = Array.from(u, (x) => 100 * x)
    const toEos = parseSenseEditsFor(engine, doc([...new Set(prompt)].flatMap((token) => [
      { kind: 'scale-sense', token, factor: 0 },
      ...[0, 1, 2, 3].map((sense) => ({ kind: 'add-sense', token, sense, from: { values } })),
    ]))).edits
    const stopped = await generate(engine, { ids: prompt, maxNewTokens: 5, edits: toEos })
    expect(stopped.stopReason).toBe('end-of-text')
    expect(stopped.ids).toEqual([])
    const kept = await generate(engine, { ids: prompt, maxNewTokens: 2, edits: toEos, stopAtEndOfText: false })
    expect(kept.ids[0]).toBe(50256)
  })

  it('reports per token the dominant (source token, sense) contribution, as the exact attribution finds it', async () => {
    const engine = fixture.engine()
    const edits = parseSenseEditsFor(engine, doc([{ kind: 'knowledge-edit', token: ' MacBook', remove: ' Apple', add: ' HP' }])).edits
    const r = await generate(engine, { ids: prompt, maxNewTokens: 4, edits, attribute: true })
    const runner = interventionRunner(engine)
    const ids = [...prompt]
    for (const t of r.tokens) {
      const exact = await attributeLogit(runner, ids, ids.length - 1, t.id, edits)
      const best = exact.byTokenSense.reduce((m, g) => (g.value > m.value ? g : m))
      expect(t.dominant).toMatchObject({ tokenId: best.tokenId, sense: best.sense, positions: best.positions })
      expect(Math.abs((t.dominant?.value ?? 0) - best.value)).toBeLessThanOrEqual(1e-4 * Math.max(1, Math.abs(best.value)))
      ids.push(t.id)
    }
  })

  it('compares baseline and edited generations with the same seed', async () => {
    const engine = fixture.engine()
    const edits = parseSenseEditsFor(engine, doc([{ kind: 'scale-sense', token: ' MacBook', factor: 0 }])).edits
    const settings = { ids: prompt, maxNewTokens: 8, strategy: 'sample' as const, seed: 3 }
    const cmp = await generateCompare(engine, { ...settings, edits })
    expect(cmp.baseline.ids).toEqual((await generate(engine, settings)).ids)
    expect(cmp.edited.ids).toEqual((await generate(engine, { ...settings, edits })).ids)
    expect(cmp.baseline.edited).toBe(false)
    expect(cmp.edited.edited).toBe(true)
    const same = await generateCompare(engine, { ...settings, edits: null })
    expect(same.firstDifference).toBeNull()
    expect(same.edited.ids).toEqual(same.baseline.ids)
  })

  it('rejects bad requests with the reason', async () => {
    const engine = fixture.engine()
    await expect(generate(engine, { ids: [] })).rejects.toMatchObject({ code: 'bad-request' })
    await expect(generate(engine, { ids: [50264] })).rejects.toThrow(/outside the vocabulary/)
    await expect(generate(engine, { ids: prompt, strategy: 'sample', temperature: -1 })).rejects.toThrow(/temperature/)
    const alpha = parseSenseEditsFor(engine, doc([{ kind: 'scale-contextualization', position: 40, factor: 0 }])).edits
    await expect(generate(engine, { ids: prompt, edits: alpha })).rejects.toMatchObject({ code: 'edit-invalid' })
  })
})
