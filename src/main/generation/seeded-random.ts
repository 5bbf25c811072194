import { WorkbenchError } from '../../shared/errors'

/**
 * A small seeded pseudo-random generator: xoshiro128** (Blackman & Vigna, "Scrambled linear
 * pseudorandom number generators", 2018), its 128-bit state filled from the seed by splitmix32.
 * Only 32-bit integer operations (Math.imul, >>>), so the same seed gives the same stream on
 * every platform and JavaScript engine.
 *
 * The seed is folded into one 32-bit word, low word XOR (high word × 0x9e3779b9 mod 2^32), and
 * splitmix32 (a bijection of that word) fills the state: seeds 0..2^32 − 1 give 2^32 distinct
 * streams, larger ones alias smaller ones (2^32 and 0x9e3779b9 give the same stream). So the
 * doors accept seeds up to 2^32 − 1 (SEED_MAX, src/shared/generation-settings.ts).
 */
export class SeededRandom {
  readonly seed: number
  readonly #s = new Uint32Array(4)

  constructor(seed: number) {
    if (!Number.isSafeInteger(seed) || seed < 0) {
      throw new WorkbenchError('bad-request', `seed must be a non-negative safe integer, got ${JSON.stringify(seed)}`)
    }
    this.seed = seed
    // splitmix32 over the low and high 32 bits of the seed
    let x = (seed >>> 0) ^ Math.imul(Math.floor(seed / 2 ** 32) >>> 0, 0x9e3779b9)
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e3779b9) >>> 0
      let z = x
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b)
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35)
      this.#s[i] = (z ^ (z >>> 16)) >>> 0
    }
    if (this.#s.every((v) => v === 0)) this.#s[0] = 1 // the all-zero state is a fixed point
  }

  /** The next 32-bit unsigned integer. */
  nextUint32(): number {
    const s = this.#s
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0
    const t = s[1] << 9
    s[2] ^= s[0]
    s[3] ^= s[1]
    s[1] ^= s[2]
    s[0] ^= s[3]
    s[2] ^= t
    s[3] = rotl(s[3], 11)
    return result
  }

  /** A uniform double in [0, 1) with 53 random bits. */
  next(): number {
    const hi = this.nextUint32() >>> 5 // 27 bits
    const lo = this.nextUint32() >>> 6 // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0
}
