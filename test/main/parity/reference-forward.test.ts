import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { readCheckpoint } from '../../../src/main/checkpoint/read-checkpoint'
import { readNpy } from '../../../src/main/npy/npy'
import { referenceForward, referenceSteps, type ReferenceProgress } from '../../../src/main/parity/reference-forward'
import { ReferenceWeights } from '../../../src/main/parity/reference-weights'
import { expectAllClose } from '../../helpers/all-close'

// The float64 TypeScript forward pass against the PyTorch float64 goldens (saved as float32): every
// tensor within 1e-6 of its largest |value| (float32 rounding of the goldens is ≤ 6e-8 of it).
const TOLERANCE = 1e-6
const FIXTURES = [
  ['small-bin', 'torch zip, fp32, 16 senses'],
  ['small-fp16', 'safetensors, fp16'],
  ['small-bf16', 'torch zip, bf16'],
  ['odd-safetensors', 'd=96, 8 senses, 3 layers, vocab 1000'],
  ['micro-legacy', 'legacy torch, 2 heads, 4 senses, 1 layer'],
  ['tiny-fullvocab', 'safetensors fp16, vocab 50264'],
] as const

async function weightsOf(name: string): Promise<ReferenceWeights> {
  const ckpt = await readCheckpoint(resolve('test/fixtures/checkpoints', name))
  return new ReferenceWeights(ckpt.config, ckpt.tensors)
}

describe('referenceForward (float64, spec §3)', () => {
  for (const [name, what] of FIXTURES) {
    it(`matches the PyTorch goldens of ${name} (${what})`, async () => {
      const golden = resolve('test/fixtures/golden', name)
      const ids = JSON.parse(readFileSync(join(golden, 'ids.json'), 'utf8')) as number[]
      const out = referenceForward(await weightsOf(name), ids)
      for (const tensor of ['logits', 'senses', 'contextualization'] as const) {
        const ref = readNpy(join(golden, `${tensor}.npy`))
        expectAllClose(out[tensor], ref.data, { rtolToScale: TOLERANCE, shape: ref.shape, label: `${name} ${tensor}` })
      }
    })
  }

  it('is sensitive: dropping the 1/(layer+1) attention factor moves the logits far outside the tolerance', async () => {
    const ckpt = await readCheckpoint(resolve('test/fixtures/checkpoints/small-bin'))
    const ids = [5, 17, 300, 5, 42]
    const right = referenceForward(new ReferenceWeights(ckpt.config, ckpt.tensors), ids)
    const wrong = referenceForward(new ReferenceWeights({ ...ckpt.config, scaleAttnByInverseLayerIdx: false }, ckpt.tensors), ids)
    let scale = 0
    let err = 0
    for (let i = 0; i < right.logits.length; i++) {
      scale = Math.max(scale, Math.abs(right.logits[i]))
      err = Math.max(err, Math.abs(right.logits[i] - wrong.logits[i]))
    }
    expect(err / scale).toBeGreaterThan(100 * TOLERANCE)
  })

  it('reports every progress step in order, ending at the total', async () => {
    const w = await weightsOf('odd-safetensors')
    const seen: ReferenceProgress[] = []
    referenceForward(w, [7, 999, 123], (p) => seen.push(p))
    const total = referenceSteps(w.config.nLayer)
    expect(seen.map((p) => p.done)).toEqual(Array.from({ length: total - 1 }, (_, i) => i + 2))
    expect(seen.every((p) => p.total === total)).toBe(true)
    expect(seen.filter((p) => p.phase === 'layer')).toHaveLength(w.config.nLayer)
    expect(seen.at(-1)?.phase).toBe('lm-head')
  })

  it('refuses ids outside the vocabulary, too many ids and no ids with typed errors', async () => {
    const w = await weightsOf('micro-legacy')
    expect(() => referenceForward(w, [1, 300])).toThrow(expect.objectContaining({ code: 'bad-request' }))
    expect(() => referenceForward(w, [1, -1])).toThrow(expect.objectContaining({ code: 'bad-request' }))
    expect(() => referenceForward(w, [])).toThrow(expect.objectContaining({ code: 'bad-request' }))
    expect(() => referenceForward(w, new Array(33).fill(1))).toThrow(expect.objectContaining({ code: 'too-long' }))
  })
})
