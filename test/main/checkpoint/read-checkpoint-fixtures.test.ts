import { existsSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { WorkbenchError } from '../../../src/shared/errors'
import { expectedTensorShapes } from '../../../src/main/checkpoint/backpack-config'
import { readCheckpoint } from '../../../src/main/checkpoint/read-checkpoint'
import type { LoadedCheckpoint } from '../../../src/main/checkpoint/read-checkpoint'

// Real torch-written checkpoints from tools/fixtures/make_checkpoint.py (test/fixtures/README.md).
const FIXTURES = join(import.meta.dirname, '../../fixtures')
const ckpt = (name: string): string => join(FIXTURES, 'checkpoints', name)

const CASES: Array<[string, LoadedCheckpoint['format'], { d: number; k: number; layers: number; vocab: number }]> = [
  ['small-bin', 'pytorch-zip', { d: 64, k: 16, layers: 2, vocab: 512 }],
  ['small-safetensors', 'safetensors', { d: 64, k: 16, layers: 2, vocab: 512 }],
  ['small-fp16', 'safetensors', { d: 64, k: 16, layers: 2, vocab: 512 }],
  ['small-bf16', 'pytorch-zip', { d: 64, k: 16, layers: 2, vocab: 512 }],
  ['odd-safetensors', 'safetensors', { d: 96, k: 8, layers: 3, vocab: 1000 }],
  ['odd-sharded', 'safetensors-sharded', { d: 96, k: 8, layers: 3, vocab: 1000 }],
  ['micro-legacy', 'pytorch-legacy', { d: 48, k: 4, layers: 1, vocab: 300 }],
  ['tiny-fullvocab', 'safetensors', { d: 16, k: 4, layers: 2, vocab: 50264 }],
]

function expectSameTensors(a: LoadedCheckpoint, b: LoadedCheckpoint): void {
  expect([...a.tensors.keys()].sort()).toEqual([...b.tensors.keys()].sort())
  for (const [name, t] of a.tensors) {
    const u = b.tensors.get(name)!
    expect(u.shape, name).toEqual(t.shape)
    // exact: the same fp32 values written by two formats (tolerance 0)
    let worst = -1
    for (let i = 0; i < t.data.length; i++) if (t.data[i] !== u.data[i]) worst = i
    expect(worst, `${name} first differing index`).toBe(-1)
  }
}

describe('readCheckpoint on torch-written fixtures', () => {
  it.each(CASES)('reads %s as %s with every canonical tensor at its config shape', async (name, format, dims) => {
    const c = await readCheckpoint(ckpt(name))
    expect(c.format).toBe(format)
    expect(c.config.nEmbd).toBe(dims.d)
    expect(c.config.numSenses).toBe(dims.k)
    expect(c.config.nLayer).toBe(dims.layers)
    expect(c.config.vocabSize).toBe(dims.vocab)
    const expected = expectedTensorShapes(c.config)
    expect(c.tensors.size).toBe(expected.size)
    for (const [n, shape] of expected) {
      const t = c.tensors.get(n)
      expect(t?.shape, n).toEqual(shape)
      expect(t!.data.length).toBe(shape.reduce((a, b) => a * b, 1))
    }
    // mask buffers dropped, the real c_attn bias kept (anchored pattern)
    expect(c.tensors.has('backpack.gpt2_model.h.0.attn.bias')).toBe(false)
    expect(c.tensors.has('backpack.gpt2_model.h.0.attn.c_attn.bias')).toBe(true)
    expect(c.tensors.has('lm_head.weight')).toBe(false)
    expect(c.contentHash).toMatch(/^[0-9a-f]{64}$/)
  })

  it('gives equal tensors and equal content hashes for the same weights in .bin and .safetensors', async () => {
    const bin = await readCheckpoint(ckpt('small-bin'))
    const st = await readCheckpoint(ckpt('small-safetensors'))
    expectSameTensors(bin, st)
    expect(bin.contentHash).toBe(st.contentHash)
  })

  it('gives equal tensors and hashes for a single-file and a sharded safetensors of the same weights', async () => {
    const one = await readCheckpoint(ckpt('odd-safetensors'))
    const sharded = await readCheckpoint(ckpt('odd-sharded'))
    expect(sharded.files).toHaveLength(3)
    expectSameTensors(one, sharded)
    expect(one.contentHash).toBe(sharded.contentHash)
  })

  it('widens fp16 and bf16 to the fp32 values they round from (fp16 rel ≤ 2^-11, bf16 rel ≤ 2^-8)', async () => {
    const f32 = await readCheckpoint(ckpt('small-bin'))
    for (const [name, relTol] of [
      ['small-fp16', 2 ** -11],
      ['small-bf16', 2 ** -8],
    ] as const) {
      const low = await readCheckpoint(ckpt(name))
      expect(low.contentHash).not.toBe(f32.contentHash)
      let worst = 0
      let worstAt = ''
      for (const [n, t] of f32.tensors) {
        const u = low.tensors.get(n)!.data
        for (let i = 0; i < t.data.length; i++) {
          const x = t.data[i]
          // relative error of rounding to nearest; absolute floor for fp16 subnormals (2^-24)
          const err = Math.abs(u[i] - x) / Math.max(Math.abs(x), 2 ** -14)
          if (err > worst) [worst, worstAt] = [err, `${n}[${i}]`]
        }
      }
      expect(worst, `${name} worst at ${worstAt}`).toBeLessThanOrEqual(relTol)
    }
  })

  it.each(['os-system', 'builtins-eval'])('refuses hostile/%s with checkpoint-forbidden and never runs its command', async (name) => {
    const marker = '/tmp/backpack-pwned-marker'
    rmSync(marker, { force: true })
    const err = await readCheckpoint(join(FIXTURES, 'hostile', name)).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(WorkbenchError)
    expect((err as WorkbenchError).code).toBe('checkpoint-forbidden')
    expect((err as WorkbenchError).message).toContain(name === 'os-system' ? 'os.system' : 'builtins.eval')
    expect(existsSync(marker)).toBe(false)
  })
})
