import { execFileSync } from 'node:child_process'
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { readFileBytes } from '../../../src/main/checkpoint/read-file-bytes'
import { checkpointFingerprint, readCheckpoint } from '../../../src/main/checkpoint/read-checkpoint'
import {
  concat,
  safetensorsBytes,
  safetensorsFromTensors,
  tinyConfigJson,
  torchZipBytes,
  encode,
  writeCheckpointDir,
} from './helpers/checkpoint-writer'
import { scratchDir, tinyTensors, workbenchErrorOf } from './helpers/tiny-checkpoint'

// The checks that a checkpoint's bytes are what they claim to be: the torch zip's CRC-32 of every
// entry, the safetensors header's offsets tiling the data exactly, and checkpoint file names taken
// by something that is not a regular file (symlink loops, FIFOs, directories).
const scratch = scratchDir('integrity')
afterAll(() => scratch.cleanup())
let n = 0
const dirFor = (files: Record<string, Uint8Array | string>, config: unknown = tinyConfigJson()): string =>
  writeCheckpointDir(join(scratch.dir, String(n++)), config, files)
const source = tinyTensors(5)

function flipAt(bytes: Uint8Array, at: number, bit = 0): Uint8Array {
  const copy = bytes.slice()
  copy[at] ^= 1 << bit
  return copy
}

function indexOf(hay: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i <= hay.length - needle.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer
    return i
  }
  return -1
}

describe('torch zip CRC-32', () => {
  const zip = torchZipBytes(source, { tiedAliases: true })
  const wpe = encode(source.get('backpack.gpt2_model.wpe.weight')!.data, 'F32')

  it('reads the unmodified archive', async () => {
    expect((await readCheckpoint(dirFor({ 'pytorch_model.bin': zip }))).tensors.size).toBe(44)
  })

  it('refuses one flipped bit in a tensor (a low mantissa bit: finite, plausible) as checkpoint-corrupt, naming the file and the entry', async () => {
    const at = indexOf(zip, wpe)
    expect(at).toBeGreaterThan(0)
    const err = await workbenchErrorOf(readCheckpoint(dirFor({ 'pytorch_model.bin': flipAt(zip, at + 40) })))
    expect(err.code).toBe('checkpoint-corrupt')
    expect(err.message).toContain('pytorch_model.bin')
    expect(err.message).toMatch(/archive\/data\/\d+/)
  })

  it('refuses a flipped bit in the pickle and in an entry the reader does not otherwise use', async () => {
    const pkl = indexOf(zip, new TextEncoder().encode('backpack.gpt2_model.ln_f.weight'))
    expect((await workbenchErrorOf(readCheckpoint(dirFor({ 'pytorch_model.bin': flipAt(zip, pkl + 3) })))).code).toBe('checkpoint-corrupt')
    const version = indexOf(zip, new TextEncoder().encode('archive/version')) + 'archive/version'.length
    const data = zip.indexOf(0x33, version) // the version entry's content, "3"
    const err = await workbenchErrorOf(readCheckpoint(dirFor({ 'pytorch_model.bin': flipAt(zip, data, 2) })))
    expect(err.code).toBe('checkpoint-corrupt')
    expect(err.message).toContain('archive/version')
  })
})

describe('safetensors offsets tile the data', () => {
  const entries = [...source].map(([name, t]) => ({ name, dtype: 'F32', shape: t.shape, bytes: encode(t.data, 'F32') }))
  const st = safetensorsFromTensors(source)

  it('refuses trailing bytes after the last tensor, naming it', async () => {
    const err = await workbenchErrorOf(readCheckpoint(dirFor({ 'model.safetensors': concat([st, new Uint8Array(16)]) })))
    expect(err.code).toBe('checkpoint-format')
    expect(err.message).toContain('model.safetensors')
    expect(err.message).toContain(entries.at(-1)!.name)
  })

  it('refuses a file shorter than its header declares', async () => {
    const err = await workbenchErrorOf(readCheckpoint(dirFor({ 'model.safetensors': st.subarray(0, st.length - 4) })))
    expect(err.code).toBe('checkpoint-format')
    expect(err.message).toContain(entries.at(-1)!.name)
  })

  it('refuses a hole between tensors (bytes that belong to no tensor), naming the tensor after it', async () => {
    // the second tensor moved 8 bytes on: its offsets are consistent with its shape, but a gap opens
    const header: Record<string, unknown> = {}
    let off = 0
    entries.forEach((e, i) => {
      if (i === 1) off += 8
      header[e.name] = { dtype: 'F32', shape: e.shape, data_offsets: [off, off + e.bytes.length] }
      off += e.bytes.length
    })
    let json = JSON.stringify(header)
    while (json.length % 8 !== 0) json += ' '
    const len = new Uint8Array(8)
    new DataView(len.buffer).setBigUint64(0, BigInt(json.length), true)
    const bytes = concat([
      len,
      new TextEncoder().encode(json),
      entries[0].bytes,
      new Uint8Array(8),
      ...entries.slice(1).map((e) => e.bytes),
    ])
    const err = await workbenchErrorOf(readCheckpoint(dirFor({ 'model.safetensors': bytes })))
    expect(err.code).toBe('checkpoint-format')
    expect(err.message).toContain(entries[1].name)
  })

  it('refuses overlapping tensors', async () => {
    const a = entries[2]
    const overlapping = safetensorsBytes(entries.slice(0, 2)) // then append a header lie by hand
    const header = JSON.parse(
      new TextDecoder().decode(overlapping.subarray(8, 8 + Number(new DataView(overlapping.buffer).getBigUint64(0, true)))),
    )
    header[a.name] = {
      dtype: 'F32',
      shape: [entries[1].bytes.length / 4],
      data_offsets: [entries[0].bytes.length, entries[0].bytes.length + entries[1].bytes.length],
    }
    let json = JSON.stringify(header)
    while (json.length % 8 !== 0) json += ' '
    const len = new Uint8Array(8)
    new DataView(len.buffer).setBigUint64(0, BigInt(json.length), true)
    const bytes = concat([len, new TextEncoder().encode(json), entries[0].bytes, entries[1].bytes])
    const err = await workbenchErrorOf(readCheckpoint(dirFor({ 'model.safetensors': bytes })))
    expect(err.code).toBe('checkpoint-format')
    expect(err.message).toContain('overlap')
  })
})

describe('checkpoint names taken by something that is not a regular file', () => {
  const st = safetensorsFromTensors(source)

  it('refuses a symlink loop as the weights or as config.json (and the fingerprint still answers)', async () => {
    const dir = dirFor({})
    symlinkSync('loop-b', join(dir, 'model.safetensors'))
    symlinkSync('model.safetensors', join(dir, 'loop-b'))
    await expect(checkpointFingerprint(dir)).resolves.toMatch(/^[0-9a-f]{64}$/)
    expect((await workbenchErrorOf(readCheckpoint(dir))).code).toBe('checkpoint-format')

    const dir2 = join(scratch.dir, String(n++))
    mkdirSync(dir2)
    writeFileSync(join(dir2, 'model.safetensors'), st)
    symlinkSync('config.json', join(dir2, 'config.json'))
    await expect(checkpointFingerprint(dir2)).resolves.toMatch(/^[0-9a-f]{64}$/)
    expect((await workbenchErrorOf(readCheckpoint(dir2))).code).toBe('checkpoint-config')
  })

  it('refuses a dangling symlink as the weights', async () => {
    const dir = dirFor({})
    symlinkSync('nowhere.safetensors', join(dir, 'model.safetensors'))
    expect((await workbenchErrorOf(readCheckpoint(dir))).code).toBe('checkpoint-format')
  })

  it.skipIf(process.platform === 'win32')('refuses a FIFO as the weights, a shard or config.json without blocking on it', async () => {
    const dir = dirFor({})
    execFileSync('mkfifo', [join(dir, 'pytorch_model.bin')])
    expect((await workbenchErrorOf(readCheckpoint(dir))).code).toBe('checkpoint-format')

    const sharded = dirFor({
      'model.safetensors.index.json': JSON.stringify({
        weight_map: Object.fromEntries([...source.keys()].map((k) => [k, 'model-1.safetensors'])),
      }),
    })
    execFileSync('mkfifo', [join(sharded, 'model-1.safetensors')])
    expect((await workbenchErrorOf(readCheckpoint(sharded))).code).toBe('checkpoint-format')

    const cfg = join(scratch.dir, String(n++))
    mkdirSync(cfg)
    writeFileSync(join(cfg, 'model.safetensors'), st)
    execFileSync('mkfifo', [join(cfg, 'config.json')])
    expect((await workbenchErrorOf(readCheckpoint(cfg))).code).toBe('checkpoint-config')
  })

  it.skipIf(process.platform === 'win32')(
    'readFileBytes itself refuses a FIFO or a device without blocking (a file swapped after the check)',
    async () => {
      const dir = dirFor({})
      execFileSync('mkfifo', [join(dir, 'swapped.bin')])
      expect((await workbenchErrorOf(readFileBytes(join(dir, 'swapped.bin')))).code).toBe('checkpoint-format')
      expect((await workbenchErrorOf(readFileBytes('/dev/zero'))).code).toBe('checkpoint-format')
    },
  )

  it('refuses a directory where the weights file is expected', async () => {
    const dir = dirFor({})
    mkdirSync(join(dir, 'model.safetensors'))
    expect((await workbenchErrorOf(readCheckpoint(dir))).code).toBe('checkpoint-format')
  })
})
