import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { forwardProbe, probeInput, probeLogits, PROBE_VERSION } from '../../../src/main/checkpoint/forward-probe'
import { ensureOnnxExport, onnxCacheRoot } from '../../../src/main/checkpoint/onnx/onnx-cache'
import { readCheckpoint } from '../../../src/main/checkpoint/read-checkpoint'
import { expectAllClose } from '../../helpers/all-close'
import { checkpointPath, golden, useTempCache } from '../runtime/core-fixture'
import { safetensorsFromTensors } from './helpers/checkpoint-writer'
import { workbenchErrorOf } from './helpers/tiny-checkpoint'

// The overflow probe: a float32 evaluation of the forward pass at conversion that refuses finite
// weights whose logits would be non-finite, naming the first tensor in forward order responsible.

const C_FC = 'backpack.gpt2_model.h.1.mlp.c_fc.weight'
const FINAL = 'backpack.sense_network.final_mlp.c_proj.weight'

/** small-safetensors with `count` weights of `name` (spread over the tensor) set to `value`, in a fresh dir. */
async function hugeCheckpoint(dir: string, edits: Array<[string, number, number]>): Promise<void> {
  const src = checkpointPath('small-safetensors')
  const ckpt = await readCheckpoint(src)
  const tensors = new Map([...ckpt.tensors].map(([k, t]) => [k, { shape: t.shape, data: Float32Array.from(t.data) }]))
  for (const [name, count, value] of edits) {
    const data = tensors.get(name)!.data
    for (let i = 0; i < count; i++) data[Math.floor((i * data.length) / count)] = value
  }
  cpSync(join(src, 'config.json'), join(dir, 'config.json'))
  writeFileSync(join(dir, 'model.safetensors'), safetensorsFromTensors(tensors))
}

describe('probeLogits', () => {
  it.each(['small-bin', 'micro-legacy', 'tiny-fullvocab'])('equals the PyTorch reference logits of %s (float64 goldens)', async (name) => {
    const g = golden(name)
    const ckpt = await readCheckpoint(checkpointPath(name))
    const logits = probeLogits(
      ckpt,
      g.ids,
      g.ids.map((_, i) => i),
    )
    expectAllClose(logits, g.logits.data, { rtolToScale: 1e-4, label: `${name} logits` })
  })
})

describe('forwardProbe', () => {
  it('puts the outsized embedding rows on the probe path', async () => {
    const ckpt = await readCheckpoint(checkpointPath('small-bin'))
    const E = ckpt.tensors.get('backpack.gpt2_model.wte.weight')!.data
    const P = ckpt.tensors.get('backpack.gpt2_model.wpe.weight')!.data
    const d = ckpt.config.nEmbd
    E.fill(40, 300 * d, 301 * d) // row 300 of E and row 17 of P become the largest
    P.fill(40, 17 * d, 18 * d)
    const { ids, positions } = probeInput(ckpt)
    expect(ids).toContain(300)
    expect(positions).toContain(17)
    expect(positions[0]).toBe(0)
    expect(forwardProbe(ckpt).version).toBe(PROBE_VERSION)
  })
})

describe('ensureOnnxExport with the probe', () => {
  let cache: ReturnType<typeof useTempCache>
  let work: string
  beforeEach(() => {
    cache = useTempCache()
    work = mkdtempSync(join(tmpdir(), 'backpack-probe-'))
  })
  afterEach(() => {
    cache.cleanup()
    rmSync(work, { recursive: true, force: true })
  })

  it('refuses 50 weights set to 3e38 with checkpoint-values naming the tensor, and caches nothing', async () => {
    await hugeCheckpoint(work, [[C_FC, 50, 3e38]])
    const err = await workbenchErrorOf(ensureOnnxExport(work))
    expect(err.code).toBe('checkpoint-values')
    expect(err.message).toContain(C_FC)
    const root = onnxCacheRoot()
    const entries = existsSync(root) ? readdirSync(root).filter((n) => n !== 'fingerprints') : []
    expect(entries).toEqual([])
  })

  it('names the first tensor in forward order (the sense network runs before the GPT-2)', async () => {
    await hugeCheckpoint(work, [
      [C_FC, 50, 3e38],
      [FINAL, 5, -2e38],
    ])
    const err = await workbenchErrorOf(ensureOnnxExport(work))
    expect(err.code).toBe('checkpoint-values')
    expect(err.message).toContain(FINAL)
    expect(err.message).not.toContain(C_FC)
  })

  it('refuses a huge LayerNorm bias and a huge embedding row, naming each', async () => {
    await hugeCheckpoint(work, [['backpack.gpt2_model.h.0.ln_2.bias', 1, 1e30]])
    expect((await workbenchErrorOf(ensureOnnxExport(work))).message).toContain('backpack.gpt2_model.h.0.ln_2.bias')
    const row = mkdtempSync(join(tmpdir(), 'backpack-probe-row-'))
    await hugeCheckpoint(row, [['backpack.gpt2_model.wte.weight', 1, 1e25]])
    const err = await workbenchErrorOf(ensureOnnxExport(row))
    expect(err.code).toBe('checkpoint-values')
    expect(err.message).toContain('backpack.gpt2_model.wte.weight')
    rmSync(row, { recursive: true, force: true })
  })

  it('accepts large but harmless weights, records the verdict, and a cached load does not probe again', async () => {
    await hugeCheckpoint(work, [[C_FC, 50, 1e3]])
    const first = await ensureOnnxExport(work)
    expect(first.work).toBe('converted')
    const manifest = JSON.parse(readFileSync(join(first.dir, 'manifest.json'), 'utf8'))
    expect(manifest.probe.version).toBe(PROBE_VERSION)
    expect(manifest.probe.ids.length).toBe(4)
    const second = await ensureOnnxExport(work)
    expect(second.work).toBe('none')
    expect(second.timingsMs.read).toBeUndefined()
  })

  it('rebuilds a cached export that carries no probe verdict (written before the probe existed)', async () => {
    cpSync(checkpointPath('micro-legacy'), work, { recursive: true })
    const first = await ensureOnnxExport(work)
    const path = join(first.dir, 'manifest.json')
    const { probe: _probe, ...unprobed } = JSON.parse(readFileSync(path, 'utf8'))
    writeFileSync(path, JSON.stringify(unprobed))
    const again = await ensureOnnxExport(work)
    expect(again.work).toBe('converted')
    expect(JSON.parse(readFileSync(path, 'utf8')).probe.version).toBe(PROBE_VERSION)
  })
})
