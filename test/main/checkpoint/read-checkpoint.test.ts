import { utimesSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { checkpointFingerprint, readCheckpoint } from '../../../src/main/checkpoint/read-checkpoint'
import type { LoadedCheckpoint } from '../../../src/main/checkpoint/read-checkpoint'
import {
  encode,
  safetensorsBytes,
  safetensorsFromTensors,
  tinyConfigJson,
  torchLegacyBytes,
  torchZipBytes,
  torchZipFromParts,
  writeCheckpointDir,
} from './helpers/checkpoint-writer'
import type { HelperTensor } from './helpers/checkpoint-writer'
import { stateDictPickle } from './helpers/pickle-builder'
import { scratchDir, tinyTensors, workbenchErrorOf } from './helpers/tiny-checkpoint'

const scratch = scratchDir('read')
afterAll(() => scratch.cleanup())
let n = 0
const dirFor = (config: unknown, files: Record<string, Uint8Array | string>): string =>
  writeCheckpointDir(join(scratch.dir, String(n++)), config, files)

const source = tinyTensors(7)
const WTE = 'backpack.gpt2_model.wte.weight'
const WPE = 'backpack.gpt2_model.wpe.weight'

function expectEqualTo(c: LoadedCheckpoint, src: Map<string, HelperTensor>): void {
  expect([...c.tensors.keys()].sort()).toEqual([...src.keys()].sort())
  for (const [name, t] of src) {
    const got = c.tensors.get(name)!
    expect(got.shape, name).toEqual(t.shape)
    expect(Array.from(got.data), name).toEqual(Array.from(t.data)) // exact (tolerance 0)
  }
}

function without(m: Map<string, HelperTensor>, ...names: string[]): Map<string, HelperTensor> {
  return new Map([...m].filter(([k]) => !names.includes(k)))
}

describe('readCheckpoint formats', () => {
  it('reads a torch zip with tied aliases sharing storage, mask buffers and parameters, exactly', async () => {
    const dir = dirFor(tinyConfigJson(), {
      'pytorch_model.bin': torchZipBytes(source, { tiedAliases: true, maskBuffers: 2, parameters: true, prefix: 'any_folder-name' }),
    })
    const c = await readCheckpoint(dir)
    expect(c.format).toBe('pytorch-zip')
    expect(c.files).toEqual(['pytorch_model.bin'])
    expectEqualTo(c, source)
    expect(c.tensors.has('backpack.gpt2_model.h.1.attn.bias')).toBe(false)
    expect(c.tensors.has('backpack.gpt2_model.h.1.attn.c_attn.bias')).toBe(true)
    // fp32 tensors are views of the one file buffer, not copies
    expect(c.tensors.get(WTE)!.data.buffer).toBe(c.tensors.get(WPE)!.data.buffer)
  })

  it('reads the legacy torch format to the same tensors and hash as the zip', async () => {
    const zip = await readCheckpoint(dirFor(tinyConfigJson(), { 'pytorch_model.bin': torchZipBytes(source, { tiedAliases: true }) }))
    const legacy = await readCheckpoint(
      dirFor(tinyConfigJson(), { 'pytorch_model.bin': torchLegacyBytes(source, { tiedAliases: true, maskBuffers: 2 }) }),
    )
    expect(legacy.format).toBe('pytorch-legacy')
    expectEqualTo(legacy, source)
    expect(legacy.contentHash).toBe(zip.contentHash)
  })

  it('reads safetensors, sharded safetensors and sharded bin to the same hash', async () => {
    const one = await readCheckpoint(dirFor(tinyConfigJson(), { 'model.safetensors': safetensorsFromTensors(source) }))
    expect(one.format).toBe('safetensors')
    expectEqualTo(one, source)
    const names = [...source.keys()]
    const half = Math.floor(names.length / 2)
    const parts = [new Map([...source].slice(0, half)), new Map([...source].slice(half))]
    const weightMap = Object.fromEntries(names.map((k, i) => [k, `model-0000${i < half ? 1 : 2}-of-00002.safetensors`]))
    const sharded = await readCheckpoint(
      dirFor(tinyConfigJson(), {
        'model.safetensors.index.json': JSON.stringify({ metadata: {}, weight_map: weightMap }),
        'model-00001-of-00002.safetensors': safetensorsFromTensors(parts[0]),
        'model-00002-of-00002.safetensors': safetensorsFromTensors(parts[1]),
      }),
    )
    expect(sharded.format).toBe('safetensors-sharded')
    expect(sharded.files).toHaveLength(2)
    const binMap = Object.fromEntries(names.map((k, i) => [k, `pytorch_model-0000${i < half ? 1 : 2}-of-00002.bin`]))
    const binSharded = await readCheckpoint(
      dirFor(tinyConfigJson(), {
        'pytorch_model.bin.index.json': JSON.stringify({ weight_map: binMap }),
        'pytorch_model-00001-of-00002.bin': torchZipBytes(parts[0]),
        'pytorch_model-00002-of-00002.bin': torchZipBytes(parts[1]),
      }),
    )
    expect(binSharded.format).toBe('pytorch-zip')
    for (const c of [sharded, binSharded]) {
      expectEqualTo(c, source)
      expect(c.contentHash).toBe(one.contentHash)
    }
  })

  it('widens exactly representable fp16 and bf16 weights to the same fp32 values and hash', async () => {
    const exact = tinyTensors(3, true)
    const f32 = await readCheckpoint(dirFor(tinyConfigJson(), { 'model.safetensors': safetensorsFromTensors(exact) }))
    for (const dtype of ['F16', 'BF16'] as const) {
      const variants: Array<Record<string, Uint8Array>> = [
        { 'model.safetensors': safetensorsFromTensors(exact, dtype) },
        { 'pytorch_model.bin': torchZipBytes(exact, { dtype, tiedAliases: true }) },
      ]
      for (const files of variants) {
        const c = await readCheckpoint(dirFor(tinyConfigJson(), files))
        expectEqualTo(c, exact)
        expect(c.contentHash).toBe(f32.contentHash)
      }
    }
  })

  it('copies fp32 tensors that are not 4-byte aligned in the file and keeps their values', async () => {
    const entries = [...source].map(([name, t]) => ({ name, dtype: 'F32', shape: t.shape, bytes: encode(t.data, 'F32') }))
    const bytes = safetensorsBytes(entries)
    const hlen = Number(new DataView(bytes.buffer).getBigUint64(0, true))
    // rebuild with a header one byte longer (one more trailing space): data starts at an odd offset
    const shifted = new Uint8Array(bytes.length + 1)
    new DataView(shifted.buffer).setBigUint64(0, BigInt(hlen + 1), true)
    shifted.set(bytes.subarray(8, 8 + hlen), 8)
    shifted[8 + hlen] = 0x20
    shifted.set(bytes.subarray(8 + hlen), 9 + hlen)
    const c = await readCheckpoint(dirFor(tinyConfigJson(), { 'model.safetensors': shifted }))
    expectEqualTo(c, source)
  })

  it('reads tensors at storage offsets inside one shared storage', async () => {
    const names = [...source.keys()]
    const all = new Float32Array(names.reduce((a, k) => a + source.get(k)!.data.length, 0))
    let off = 0
    const pickled = names.map((name) => {
      const t = source.get(name)!
      all.set(t.data, off)
      const p = { name, storageType: 'FloatStorage' as const, storageKey: 'flat', storageNumel: all.length, offset: off, shape: t.shape }
      off += t.data.length
      return p
    })
    const bin = torchZipFromParts(stateDictPickle(pickled), [['flat', encode(all, 'F32')]])
    expectEqualTo(await readCheckpoint(dirFor(tinyConfigJson(), { 'pytorch_model.bin': bin })), source)
  })
})

describe('readCheckpoint canonical names and ties', () => {
  it('accepts a safetensors export that keeps E only as lm_head.weight and P only as position_embeddings', async () => {
    const renamed = new Map(
      [...source].map(([k, v]) => [k === WTE ? 'lm_head.weight' : k === WPE ? 'backpack.position_embeddings.weight' : k, v] as const),
    )
    const c = await readCheckpoint(dirFor(tinyConfigJson(), { 'model.safetensors': safetensorsFromTensors(renamed) }))
    expectEqualTo(c, source)
  })

  it('accepts equal untied copies of E, and refuses an lm_head that differs from wte', async () => {
    const copies = new Map([...source, ['lm_head.weight', source.get(WTE)!], ['backpack.word_embeddings.weight', source.get(WTE)!]])
    expectEqualTo(await readCheckpoint(dirFor(tinyConfigJson(), { 'model.safetensors': safetensorsFromTensors(copies) })), source)
    const head = source.get(WTE)!
    const other = { shape: head.shape, data: head.data.map((x) => x * 2) }
    const untied = new Map([...source, ['lm_head.weight', other]])
    const err = await workbenchErrorOf(readCheckpoint(dirFor(tinyConfigJson(), { 'model.safetensors': safetensorsFromTensors(untied) })))
    expect(err.code).toBe('checkpoint-config')
    expect(err.message).toContain('lm_head.weight')
    expect(err.message).toContain('untied')
  })

  it('names the tensor, the shape found and the shape expected on a shape mismatch', async () => {
    const name = 'backpack.sense_network.final_mlp.c_proj.weight' // [16, 32] in the tiny config
    const bad = new Map([...source, [name, { shape: [16, 31], data: new Float32Array(16 * 31) }]])
    const err = await workbenchErrorOf(readCheckpoint(dirFor(tinyConfigJson(), { 'pytorch_model.bin': torchZipBytes(bad) })))
    expect(err.code).toBe('checkpoint-shape')
    expect(err.message).toContain(name)
    expect(err.message).toContain('[16, 31]')
    expect(err.message).toContain('[16, 32]')
  })

  it('reports missing and unexpected tensors, and NaN/Inf weights by name', async () => {
    const missing = await workbenchErrorOf(
      readCheckpoint(
        dirFor(tinyConfigJson(), { 'model.safetensors': safetensorsFromTensors(without(source, 'backpack.sense_weight_net.c_attn.bias')) }),
      ),
    )
    expect(missing.code).toBe('checkpoint-shape')
    expect(missing.message).toContain('backpack.sense_weight_net.c_attn.bias')
    const extra = await workbenchErrorOf(
      readCheckpoint(
        dirFor(tinyConfigJson(), {
          'model.safetensors': safetensorsFromTensors(new Map([...source, ['transformer.h.0.attn.bias', source.get(WPE)!]])),
        }),
      ),
    )
    expect(extra.code).toBe('checkpoint-shape')
    expect(extra.message).toContain('transformer.h.0.attn.bias')
    for (const value of [NaN, Infinity, -Infinity]) {
      const t = source.get('backpack.gpt2_model.h.1.mlp.c_fc.bias')!
      const data = t.data.slice()
      data[3] = value
      const bad = new Map([...source, ['backpack.gpt2_model.h.1.mlp.c_fc.bias', { shape: t.shape, data }]])
      const err = await workbenchErrorOf(readCheckpoint(dirFor(tinyConfigJson(), { 'pytorch_model.bin': torchZipBytes(bad) })))
      expect(err.code).toBe('checkpoint-values')
      expect(err.message).toContain('backpack.gpt2_model.h.1.mlp.c_fc.bias')
    }
  })

  it('refuses plain GPT-2 configs with checkpoint-config and reads Levanter ones with their layout', async () => {
    const gpt2 = tinyConfigJson({ architectures: ['GPT2LMHeadModel'] })
    delete gpt2.num_senses
    const weights = { 'model.safetensors': safetensorsFromTensors(source) }
    expect((await workbenchErrorOf(readCheckpoint(dirFor(gpt2, weights)))).code).toBe('checkpoint-config')
    const lev = await readCheckpoint(dirFor(tinyConfigJson({ model_type: 'backpack-gpt2' }), weights))
    expect(lev.layout).toBe('levanter')
  })

  it('refuses non-contiguous strides and stops with cancelled when aborted', async () => {
    const t = source.get('backpack.sense_weight_net.c_attn.weight')! // [16, 8]
    const pickled = [
      { name: 'x', storageType: 'FloatStorage' as const, storageKey: '0', storageNumel: 128, offset: 0, shape: t.shape, stride: [1, 16] },
    ]
    const bin = torchZipFromParts(stateDictPickle(pickled), [['0', encode(t.data, 'F32')]])
    const err = await workbenchErrorOf(readCheckpoint(dirFor(tinyConfigJson(), { 'pytorch_model.bin': bin })))
    expect(err.code).toBe('checkpoint-format')
    expect(err.message).toContain('contiguous')
    const ac = new AbortController()
    ac.abort()
    const dir = dirFor(tinyConfigJson(), { 'model.safetensors': safetensorsFromTensors(source) })
    expect((await workbenchErrorOf(readCheckpoint(dir, { signal: ac.signal }))).code).toBe('cancelled')
    // aborted while the read is under way
    const later = new AbortController()
    const pending = readCheckpoint(dir, { signal: later.signal })
    later.abort()
    expect((await workbenchErrorOf(pending)).code).toBe('cancelled')
  })

  it('reports a missing directory as not-found', async () => {
    const missing = join(scratch.dir, 'does-not-exist')
    expect((await workbenchErrorOf(readCheckpoint(missing))).code).toBe('not-found')
    expect((await workbenchErrorOf(checkpointFingerprint(missing))).code).toBe('not-found')
  })
})

describe('checkpointFingerprint', () => {
  it('is stable for unchanged files and changes when a weight file is touched or rewritten', async () => {
    const dir = dirFor(tinyConfigJson(), { 'model.safetensors': safetensorsFromTensors(source) })
    const a = await checkpointFingerprint(dir)
    expect(await checkpointFingerprint(dir)).toBe(a)
    utimesSync(join(dir, 'model.safetensors'), new Date(2001, 1, 1), new Date(2001, 1, 1))
    const b = await checkpointFingerprint(dir)
    expect(b).not.toBe(a)
    writeFileSync(join(dir, 'config.json'), JSON.stringify(tinyConfigJson({ n_layer: 3 })))
    expect(await checkpointFingerprint(dir)).not.toBe(b)
    // same files in another directory: a different fingerprint (it includes the real path)
    const other = dirFor(tinyConfigJson(), { 'model.safetensors': safetensorsFromTensors(source) })
    expect(await checkpointFingerprint(other)).not.toBe(a)
  })
})
