import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { expectAllClose } from '../../helpers/all-close'
import { golden, openCore, useTempCache } from './core-fixture'

/**
 * Parity with the independent PyTorch reference (tools/reference, float64 goldens): logits,
 * senses and α within 1e-4 of each tensor's max |value| (the parity tolerance, docs/engine.md), for every fixture config
 * and file format. odd-sharded holds the odd-safetensors weights in 3 shards.
 */
const CASES: [fixture: string, goldenName: string, what: string][] = [
  ['small-bin', 'small-bin', 'torch zip .bin, d=64, 4 heads, 16 senses, 2 layers'],
  ['small-safetensors', 'small-bin', 'safetensors, same weights as small-bin'],
  ['small-fp16', 'small-fp16', 'safetensors fp16'],
  ['small-bf16', 'small-bf16', 'torch zip bf16'],
  ['odd-safetensors', 'odd-safetensors', 'd=96, 4 heads, 8 senses, 3 layers'],
  ['odd-sharded', 'odd-safetensors', 'sharded safetensors'],
  ['micro-legacy', 'micro-legacy', 'legacy torch pickle, 1 layer, 2 heads'],
  ['tiny-fullvocab', 'tiny-fullvocab', 'vocab 50264, 512 positions'],
]
const TOL = { rtolToScale: 1e-4 }

describe('engine parity with the PyTorch reference', () => {
  let cache: ReturnType<typeof useTempCache>
  beforeAll(() => {
    cache = useTempCache()
  })
  afterAll(() => cache.cleanup())

  it.each(CASES)('%s matches golden %s (%s)', async (fixture, goldenName) => {
    const g = golden(goldenName)
    const core = await openCore(fixture)
    try {
      expect(core.provider.name).toBe('cpu')
      const out = await core.forward(g.ids)
      expectAllClose(out.logits, g.logits.data, { ...TOL, shape: g.logits.shape, label: `${fixture} logits` })
      expectAllClose(out.senses, g.senses.data, { ...TOL, shape: g.senses.shape, label: `${fixture} senses` })
      expectAllClose(out.contextualization, g.contextualization.data, { ...TOL, shape: g.contextualization.shape, label: `${fixture} α` })
      // the same pass through the pieces: senses by id, α, combine
      const T = g.ids.length
      const { numSenses: k, nEmbd: d } = core.config
      const byId = await core.senseVectors(g.ids) // (pos, sense, d_model)
      for (const [t, l] of [
        [0, 0],
        [T - 1, k - 1],
        [Math.floor(T / 2), Math.floor(k / 2)],
      ]) {
        expectAllClose(byId.subarray((t * k + l) * d, (t * k + l + 1) * d), g.senses.data.subarray((l * T + t) * d, (l * T + t + 1) * d), {
          ...TOL,
          label: `senseVectors[${t}, ${l}]`,
        })
      }
    } finally {
      core.dispose()
    }
  })
})
