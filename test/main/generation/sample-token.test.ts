import { describe, expect, it } from 'vitest'
import { checkDecodingSettings, chooseToken, greedyToken, tokenLogProb } from '../../../src/main/generation/sample-token'
import { SeededRandom } from '../../../src/main/generation/seeded-random'

const softmax = (xs: number[], t = 1) => {
  const m = Math.max(...xs)
  const e = xs.map((x) => Math.exp((x - m) / t))
  const z = e.reduce((a, b) => a + b, 0)
  return e.map((x) => x / z)
}

function frequencies(logits: Float32Array, settings: Parameters<typeof chooseToken>[3], draws: number): number[] {
  const rng = new SeededRandom(99)
  const counts = new Array(logits.length).fill(0)
  for (let i = 0; i < draws; i++) counts[chooseToken(logits, 0, logits.length, settings, rng).id]++
  return counts.map((c) => c / draws)
}

describe('chooseToken', () => {
  const logits = Float32Array.from([0.5, 2, -1, 1.5, 0, 2.5, -3, 1])

  it('greedy takes the largest logit and reports its log-probability', () => {
    const c = chooseToken(logits, 0, logits.length, { strategy: 'greedy' }, null)
    expect(c.id).toBe(5)
    expect(c.logProb).toBeCloseTo(Math.log(softmax(Array.from(logits))[5]), 6)
  })

  it("greedyToken and tokenLogProb (the split generation uses) give exactly chooseToken's greedy answer, lowest id on ties", () => {
    const c = chooseToken(logits, 0, logits.length, { strategy: 'greedy' }, null)
    expect(greedyToken(logits, 0, logits.length)).toBe(c.id)
    expect(tokenLogProb(logits, 0, logits.length, c.id)).toBe(c.logProb)
    const tied = Float32Array.from([9, 1, 3, 3, -2, 3])
    expect(greedyToken(tied, 1, 5)).toBe(1) // offset 1: [1, 3, 3, -2, 3] → first 3
    expect(tokenLogProb(tied, 1, 5, 4)).toBeCloseTo(Math.log(softmax([1, 3, 3, -2, 3])[4]), 6)
  })

  it('samples with frequencies equal to softmax(logits / T) within 0.01 (40k draws)', () => {
    for (const temperature of [1, 0.5, 2]) {
      const f = frequencies(logits, { strategy: 'sample', temperature, seed: 0 }, 40_000)
      softmax(Array.from(logits), temperature).forEach((p, i) => expect(Math.abs(f[i] - p)).toBeLessThan(0.01))
    }
  })

  it('top-k keeps only the k most likely tokens, renormalised', () => {
    const f = frequencies(logits, { strategy: 'sample', temperature: 1, topK: 2, seed: 0 }, 20_000)
    const p = softmax([2.5, 2])
    expect(f[5]).toBeCloseTo(p[0], 1)
    expect(f[1]).toBeCloseTo(p[1], 1)
    expect(f.filter((_, i) => i !== 5 && i !== 1).every((x) => x === 0)).toBe(true)
  })

  it('top-p keeps the smallest most-likely set reaching p', () => {
    const p = softmax(Array.from(logits))
    // sorted: 5 (≈.39), 1 (≈.24), 3 (≈.14), … → p = 0.6 needs {5, 1, 3}
    expect(p[5] + p[1]).toBeLessThan(0.7)
    const f = frequencies(logits, { strategy: 'sample', temperature: 1, topP: 0.7, seed: 0 }, 20_000)
    const kept = [5, 1, 3]
    const z = kept.reduce((s, i) => s + p[i], 0)
    kept.forEach((i) => expect(Math.abs(f[i] - p[i] / z)).toBeLessThan(0.015))
    expect(f.filter((_, i) => !kept.includes(i)).every((x) => x === 0)).toBe(true)
    // a tiny p keeps only the argmax
    expect(
      frequencies(logits, { strategy: 'sample', temperature: 1, topP: 1e-6, seed: 0 }, 200).every((x, i) => (i === 5 ? x === 1 : x === 0)),
    ).toBe(true)
  })

  it('never picks a padding id (≥ 50257), even when its logit is by far the largest', () => {
    const V = 50264
    const row = new Float32Array(V).fill(-5)
    row[11] = 1
    row[50256] = 0.5
    for (let v = 50257; v < V; v++) row[v] = 1000
    expect(chooseToken(row, 0, V, { strategy: 'greedy' }, null).id).toBe(11)
    const rng = new SeededRandom(5)
    for (let i = 0; i < 100; i++) {
      const c = chooseToken(row, 0, V, { strategy: 'sample', temperature: 3, seed: 5 }, rng)
      expect(c.id).toBeLessThan(50257)
      expect(Number.isFinite(c.logProb)).toBe(true)
    }
    expect(chooseToken(row, 0, V, { strategy: 'sample', temperature: 1, topK: 3, seed: 5 }, rng).id).toBeLessThan(50257)
  })

  it('validates settings with messages naming the setting', () => {
    expect(() => checkDecodingSettings({ strategy: 'sample', temperature: 0, seed: 1 })).toThrow(/temperature/)
    expect(() => checkDecodingSettings({ strategy: 'sample', temperature: 1, topK: 0, seed: 1 })).toThrow(/top-k/)
    expect(() => checkDecodingSettings({ strategy: 'sample', temperature: 1, topP: 1.5, seed: 1 })).toThrow(/top-p/)
    expect(() => checkDecodingSettings({ strategy: 'sample', temperature: 1, seed: -2 })).toThrow(/seed/)
    expect(() => checkDecodingSettings({ strategy: 'beam' } as never)).toThrow(/greedy/)
  })
})
