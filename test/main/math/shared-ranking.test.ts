import { describe, expect, it } from 'vitest'
import type { BackpackEngine } from '../../../src/main/runtime/backpack-engine'
import { senseAtlas, senseCards } from '../../../src/main/senses/sense-atlas'
import { awaitSharedScores, SCORES_BYTE } from '../../../src/main/math/shared-ranking'
import { useEngine } from '../generation/engine-fixture'

/** The same engine without projectRanked: senseCards projects and ranks every row on this thread. */
function oneThread(engine: BackpackEngine): BackpackEngine {
  return new Proxy(engine, {
    get: (target, key) => {
      if (key === 'projectRanked') return undefined
      const v = Reflect.get(target, key, target) as unknown
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v
    },
  })
}

describe('sense atlas ranked on two threads (engine worker + caller, shared scores)', () => {
  const { engine } = useEngine('tiny-fullvocab')

  it('gives the same cards as ranking every sense on the calling thread', async () => {
    expect(typeof engine().projectRanked).toBe('function')
    for (const word of [' nurse', ' science', 'Hello world']) {
      for (const options of [{ top: 10 }, { top: 3, bins: 7 }]) {
        const two = await senseAtlas(engine(), word, options)
        const one = await senseAtlas(oneThread(engine()), word, options)
        expect(two.senses).toEqual(one.senses)
      }
    }
    // vectors that are not a word's senses
    const k = engine().config.numSenses
    const vectors = Float32Array.from({ length: k * engine().config.nEmbd }, (_, i) => Math.sin(i) * 0.3)
    expect((await senseCards(engine(), vectors)).senses).toEqual((await senseCards(oneThread(engine()), vectors)).senses)
  })

  it('rejects (does not hang) when the worker cannot write the scores', async () => {
    const { numSenses: k, nEmbd: d } = engine().config
    const shared = new SharedArrayBuffer(SCORES_BYTE + 16) // too small for (k, vocab)
    const request = engine().projectRanked!({ vectors: new Float32Array(k * d), n: k, shared, rankFrom: 1, length: 100, top: 3, bins: 5 })
    await expect(awaitSharedScores(shared, request)).rejects.toThrow(/shared buffer/)
  })
})
