import { describe, expect, it } from 'vitest'
import { generate } from '../../../src/main/generation/generate'
import { generateCompare } from '../../../src/main/generation/generate-compare'
import { parseSenseEditsFor } from '../../../src/main/interventions/apply-sense-edits'
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

/** A direction u with argmax_{v < limit} E_v·u = target (perceptron steps u += E[target] − E[winner]). */
async function peakDirection(target: number, limit: number): Promise<Float64Array> {
  const engine = fixture.engine()
  const runner = fixture.runner()
  const [et] = await runner.embedding([target])
  const u = Float64Array.from(et)
  for (let it = 0; it < 300; it++) {
    const scores = await engine.project(Float32Array.from(u), 1)
    let win = 0
    for (let v = 0; v < limit; v++) if (scores[v] > scores[win]) win = v
    if (win === target) return u
    const [ew] = await runner.embedding([win])
    for (let c = 0; c < u.length; c++) u[c] += et[c] - ew[c]
  }
  throw new Error(`no direction found where token ${target} peaks`)
}

const setAllSenses = (tokens: number[], u: Float64Array, scale: number) =>
  tokens.flatMap((token) => [
    { kind: 'scale-sense', token, factor: 0 },
    ...[0, 1, 2, 3].map((sense) => ({ kind: 'add-sense', token, sense, from: { values: Array.from(u, (x) => scale * x) } })),
  ])

describe('generate (tiny-fullvocab)', () => {
  it('incremental decoding equals full recomputation: logits at every step (1e-5 of scale) and the greedy ids', async () => {
    const engine = fixture.engine()
    const edits = parseSenseEditsFor(
      engine,
      doc([
        { kind: 'scale-sense', token: ' MacBook', sense: [1, 3], factor: 0.2 },
        { kind: 'knowledge-edit', token: ' MacBook', remove: ' Apple', add: ' HP' },
        { kind: 'scale-contextualization', position: 1, sense: 2, factor: 3 },
        { kind: 'scale-contextualization', position: 4, factor: 0.5, renormalize: true },
      ]),
    ).edits
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
    // make <|endoftext|> the certain choice: every sense of every prompt token set to 100·u
    const u = await peakDirection(50256, 50257)
    const toEos = parseSenseEditsFor(engine, doc(setAllSenses([...new Set(prompt)], u, 100))).edits
    const stopped = await generate(engine, { ids: prompt, maxNewTokens: 5, edits: toEos })
    expect(stopped.stopReason).toBe('end-of-text')
    expect(stopped.ids).toEqual([])
    const kept = await generate(engine, { ids: prompt, maxNewTokens: 2, edits: toEos, stopAtEndOfText: false })
    expect(kept.ids[0]).toBe(50256)
  })

  it('never produces a padding id, even where a padding row has by far the largest logit', async () => {
    const engine = fixture.engine()
    // the first padding row that is the peak of E·u for some direction u
    let pad = 0
    let u: Float64Array | null = null
    for (pad = 50257; pad < 50264 && !u; pad++) u = await peakDirection(pad, 50264).catch(() => null)
    pad--
    if (!u) throw new Error('no padding row peaks in any direction tried')
    const toPad = parseSenseEditsFor(engine, doc(setAllSenses([...new Set(prompt)], u, 20))).edits
    const rows: Float32Array[] = []
    const greedy = await generate(engine, { ids: prompt, maxNewTokens: 3, edits: toPad, onLogits: (_, l) => rows.push(l.slice()) })
    let arg = 0
    for (let v = 0; v < 50264; v++) if (rows[0][v] > rows[0][arg]) arg = v
    expect(arg).toBe(pad) // unmasked, the padding row would win
    const sampled = await generate(engine, { ids: prompt, maxNewTokens: 20, edits: toPad, strategy: 'sample', temperature: 2, seed: 1 })
    for (const id of [...greedy.ids, ...sampled.ids]) expect(id).toBeLessThan(50257)
    expect(greedy.ids).toHaveLength(3)
  })

  it('reports per token the dominant (source token, sense) contribution, as the exact attribution finds it', async () => {
    const engine = fixture.engine()
    const edits = parseSenseEditsFor(engine, doc([{ kind: 'knowledge-edit', token: ' MacBook', remove: ' Apple', add: ' HP' }])).edits
    const r = await generate(engine, { ids: prompt, maxNewTokens: 4, edits, attribute: true })
    const runner = fixture.runner()
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
