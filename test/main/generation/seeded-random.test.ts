import { describe, expect, it } from 'vitest'
import { checkDecodingSettings } from '../../../src/main/generation/sample-token'
import { SeededRandom } from '../../../src/main/generation/seeded-random'
import { SEED_MAX } from '../../../src/shared/generation-settings'

/** An independent BigInt transcription of xoshiro128** and splitmix32 (Blackman & Vigna 2018). */
function referenceStream(seed: number, count: number): number[] {
  const M = 0xffffffffn
  const mul = (a: bigint, b: bigint) => (a * b) & M
  const rotl = (x: bigint, k: bigint) => ((x << k) | (x >> (32n - k))) & M
  let x = BigInt(seed >>> 0) ^ mul(BigInt(Math.floor(seed / 2 ** 32) >>> 0), 0x9e3779b9n)
  const s: bigint[] = []
  for (let i = 0; i < 4; i++) {
    x = (x + 0x9e3779b9n) & M
    let z = x
    z = mul(z ^ (z >> 16n), 0x85ebca6bn)
    z = mul(z ^ (z >> 13n), 0xc2b2ae35n)
    s.push(z ^ (z >> 16n))
  }
  const out: number[] = []
  for (let i = 0; i < count; i++) {
    out.push(Number(mul(rotl(mul(s[1], 5n), 7n), 9n)))
    const t = (s[1] << 9n) & M
    s[2] ^= s[0]
    s[3] ^= s[1]
    s[1] ^= s[2]
    s[0] ^= s[3]
    s[2] ^= t
    s[3] = rotl(s[3], 11n)
  }
  return out
}

describe('SeededRandom', () => {
  it('is xoshiro128** seeded by splitmix32: equals a BigInt transcription for 2000 outputs', () => {
    for (const seed of [0, 1, 42, 2 ** 32 + 7, Number.MAX_SAFE_INTEGER]) {
      const r = new SeededRandom(seed)
      const got = Array.from({ length: 2000 }, () => r.nextUint32())
      expect(got).toEqual(referenceStream(seed, 2000))
    }
  })

  it('gives the same stream for the same seed and different streams for different seeds', () => {
    const a = new SeededRandom(7)
    const b = new SeededRandom(7)
    const c = new SeededRandom(8)
    const xa = Array.from({ length: 50 }, () => a.next())
    expect(Array.from({ length: 50 }, () => b.next())).toEqual(xa)
    expect(Array.from({ length: 50 }, () => c.next())).not.toEqual(xa)
  })

  it('draws uniform doubles in [0, 1): mean 0.5 ± 0.01 and deciles 0.1 ± 0.01 over 100k draws', () => {
    const r = new SeededRandom(123)
    const bins = new Array(10).fill(0)
    let sum = 0
    let outside = 0
    const n = 100_000
    for (let i = 0; i < n; i++) {
      const u = r.next()
      if (!(u >= 0 && u < 1)) outside++
      sum += u
      bins[Math.floor(u * 10)]++
    }
    expect(outside).toBe(0)
    expect(Math.abs(sum / n - 0.5)).toBeLessThan(0.01)
    for (const b of bins) expect(Math.abs(b / n - 0.1)).toBeLessThan(0.01)
  })

  it('folds seeds into 32 bits: above SEED_MAX seeds alias, which is why the doors stop at 2^32 − 1', () => {
    const stream = (seed: number) => {
      const r = new SeededRandom(seed)
      return Array.from({ length: 20 }, () => r.nextUint32())
    }
    expect(SEED_MAX).toBe(2 ** 32 - 1)
    expect(stream(2 ** 32)).toEqual(stream(0x9e3779b9))
    // within the range the fold is the identity: neighbours and the ends differ
    expect(stream(SEED_MAX)).not.toEqual(stream(SEED_MAX - 1))
    expect(stream(SEED_MAX)).not.toEqual(stream(0))
    const sample = { strategy: 'sample' as const, temperature: 1 }
    expect(checkDecodingSettings({ ...sample, seed: SEED_MAX })).toMatchObject({ seed: SEED_MAX })
    expect(() => checkDecodingSettings({ ...sample, seed: SEED_MAX + 1 })).toThrow(
      /seed must be an integer in \[0, 4294967295\], got 4294967296/,
    )
  })

  it('rejects seeds that are not non-negative safe integers', () => {
    for (const bad of [-1, 1.5, Number.NaN, 2 ** 60]) expect(() => new SeededRandom(bad)).toThrow(/seed/)
  })
})
