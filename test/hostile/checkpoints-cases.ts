import { execFileSync } from 'node:child_process'
import { copyFileSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { crc32 } from 'node:zlib'
import { readCheckpoint } from '../../src/main/checkpoint/read-checkpoint'
import { readZipDirectory } from '../../src/main/checkpoint/zip-archive'
import type { ErrorCode } from '../../src/shared/errors'
import { mulberry32 } from '../helpers/mulberry32'
import { encode, safetensorsBytes, torchZipFromParts, type HelperTensor } from '../main/checkpoint/helpers/checkpoint-writer'
import { stateDictPickle, type PickledTensor } from '../main/checkpoint/helpers/pickle-builder'

/**
 * Mutants of the committed tiny checkpoints (test/fixtures/checkpoints): small-bin (torch zip)
 * and small-safetensors. Each case writes one checkpoint directory and says which outcomes are
 * right: a typed error among `codes`, or — only where stated — acceptance, either `identical`
 * (the mutation provably changes nothing: the same content hash, hence the same cached export
 * and bit-identical logits) or `altered` (the bytes legitimately mean other weights, with the reason).
 */
export interface CheckpointCase {
  category: string
  /** the fixture it mutates (its content hash is what `identical` means) */
  base: keyof typeof BASES
  label: string
  make: (dir: string) => void
  codes: ErrorCode[]
  accept?: { identical?: boolean; altered?: string }
  /** a substring the error message must contain (the tensor it names) */
  mentions?: string
}

export const FIXTURE_ROOT = resolve(import.meta.dirname, '../fixtures/checkpoints')
export const BASES = { zip: join(FIXTURE_ROOT, 'small-bin'), safetensors: join(FIXTURE_ROOT, 'small-safetensors') } as const
const ZIP_FILE = 'pytorch_model.bin'
const ST_FILE = 'model.safetensors'
const STRUCTURE: ErrorCode[] = ['checkpoint-format', 'checkpoint-corrupt', 'checkpoint-shape', 'checkpoint-config', 'not-found']

const zipBytes = readFileSync(join(BASES.zip, ZIP_FILE))
const stBytes = readFileSync(join(BASES.safetensors, ST_FILE))
const configOf = (base: string) => readFileSync(join(base, 'config.json'))

function writeDir(dir: string, base: string, name: string, bytes: Uint8Array): void {
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, 'config.json'), configOf(base))
  writeFileSync(join(dir, name), bytes)
}
const zipCase = (bytes: () => Uint8Array) => (dir: string) => writeDir(dir, BASES.zip, ZIP_FILE, bytes())
const stCase = (bytes: () => Uint8Array) => (dir: string) => writeDir(dir, BASES.safetensors, ST_FILE, bytes())

function flipped(bytes: Uint8Array, at: number, bit: number): Uint8Array {
  const copy = Uint8Array.from(bytes)
  copy[at] ^= 1 << bit
  return copy
}

/** Byte ranges of the zip fixture: each entry's data, with its central record's offset. */
function zipLayout(z: Uint8Array): Array<{ name: string; start: number; end: number; central: number; local: number }> {
  const v = new DataView(z.buffer, z.byteOffset, z.byteLength)
  const out = []
  const centrals = new Map<string, number>()
  for (let i = 0; i + 46 <= z.length; i++) {
    if (v.getUint32(i, true) !== 0x02014b50) continue
    centrals.set(new TextDecoder().decode(z.subarray(i + 46, i + 46 + v.getUint16(i + 28, true))), i)
  }
  for (const e of readZipDirectory(z, 'fixture').values()) {
    const h = e.localHeaderOffset
    const start = h + 30 + v.getUint16(h + 26, true) + v.getUint16(h + 28, true)
    out.push({ name: e.name, start, end: start + e.compressedSize, central: centrals.get(e.name)!, local: h })
  }
  return out
}

const layout = zipLayout(zipBytes)
const pkl = layout.find((e) => e.name.endsWith('/data.pkl'))!
const storages = layout.filter((e) => /\/data\/\d+$/.test(e.name))
const inData = (at: number) => layout.some((e) => at >= e.start && at < e.end)

/** A pickle flip with the entry's CRC-32 rewritten (central and local header): a self-consistent file. */
function pickleFlipWithCrc(at: number, bit: number): Uint8Array {
  const z = flipped(zipBytes, at, bit)
  const v = new DataView(z.buffer)
  const crc = crc32(z.subarray(pkl.start, pkl.end))
  v.setUint32(pkl.central + 16, crc, true)
  v.setUint32(pkl.local + 14, crc, true)
  return z
}

function truncations(total: number, count: number): number[] {
  const out = new Set<number>([0, 1, 7, 8, 9, 22, total - 22, total - 1])
  for (let i = 1; out.size < count; i++) out.add(Math.floor((total * i) / (count - 7)))
  return [...out].filter((n) => n >= 0 && n < total).sort((a, b) => a - b)
}

/** `count` (offset, bit) pairs drawn in [from, to) (seeded). */
function flips(
  seed: number,
  from: number,
  to: number,
  count: number,
  where: (at: number) => boolean = () => true,
): Array<[number, number]> {
  const random = mulberry32(seed)
  const out: Array<[number, number]> = []
  while (out.length < count) {
    const at = from + Math.floor(random() * (to - from))
    if (where(at)) out.push([at, Math.floor(random() * 8)])
  }
  return out
}

/** The safetensors fixture's header and data start. */
const stHeaderLen = Number(new DataView(stBytes.buffer, stBytes.byteOffset).getBigUint64(0, true))
const stDataStart = 8 + stHeaderLen

export async function checkpointCases(): Promise<CheckpointCase[]> {
  const canonical = (await readCheckpoint(BASES.zip)).tensors
  const tensors = new Map<string, HelperTensor>(
    [...canonical].map(([k, t]) => [k, { shape: [...t.shape], data: Float32Array.from(t.data) }]),
  )
  const names = [...tensors.keys()]
  const cases: CheckpointCase[] = []
  const add: Add = (category, label, codes, make, extra = {}) => cases.push({ category, label, base: baseOf(label), codes, make, ...extra })

  // — re-encodings of the fixture's own tensors (our writers: consistent CRCs and offsets)
  const zipOf = (ts: Map<string, HelperTensor>, lie: (p: PickledTensor) => PickledTensor = (p) => p): Uint8Array => {
    const p: PickledTensor[] = []
    const st: Array<[string, Uint8Array]> = []
    for (const [name, t] of ts) {
      const key = String(st.length)
      st.push([key, encode(t.data, 'F32')])
      p.push(lie({ name, storageType: 'FloatStorage', storageKey: key, storageNumel: t.data.length, offset: 0, shape: [...t.shape] }))
    }
    return torchZipFromParts(stateDictPickle(p), st, 'pytorch_model')
  }
  const stOf = (ts: Map<string, HelperTensor>, lie: (name: string, shape: number[]) => number[] = (_, s) => s): Uint8Array =>
    safetensorsBytes(
      [...ts].map(([name, t]) => ({ name, dtype: 'F32', shape: lie(name, [...t.shape]), bytes: encode(t.data, 'F32') })),
      { format: 'pt' },
    )
  const withValues = (name: string, count: number, value: number): Map<string, HelperTensor> => {
    const out = new Map([...tensors].map(([k, t]) => [k, { shape: t.shape, data: k === name ? Float32Array.from(t.data) : t.data }]))
    const d = out.get(name)!.data
    for (let i = 0; i < count; i++) d[Math.floor((i * d.length) / count)] = value
    return out
  }

  for (const n of truncations(zipBytes.length, 40))
    add(
      'truncation',
      `zip cut at ${n}`,
      STRUCTURE,
      zipCase(() => zipBytes.subarray(0, n)),
    )
  for (const n of truncations(stBytes.length, 40))
    add(
      'truncation',
      `safetensors cut at ${n}`,
      STRUCTURE,
      stCase(() => stBytes.subarray(0, n)),
    )

  for (const [at, bit] of flips(1, pkl.start, pkl.end, 40))
    add(
      'pickle flip',
      `zip pickle byte ${at} bit ${bit}`,
      ['checkpoint-corrupt'],
      zipCase(() => flipped(zipBytes, at, bit)),
    )
  for (const [at, bit] of flips(2, pkl.start, pkl.end, 60)) {
    add(
      'pickle flip, CRC rewritten',
      `zip pickle byte ${at} bit ${bit}`,
      [...STRUCTURE, 'checkpoint-forbidden', 'checkpoint-values'],
      zipCase(() => pickleFlipWithCrc(at, bit)),
      {
        accept: { identical: true, altered: 'the CRC was rewritten to match: a self-consistent file that says other weights' },
      },
    )
  }
  for (const [at, bit] of flips(3, 8, stDataStart, 60)) {
    add(
      'header flip',
      `safetensors header byte ${at} bit ${bit}`,
      STRUCTURE,
      stCase(() => flipped(stBytes, at, bit)),
      { accept: { identical: true } },
    )
  }
  for (const [at, bit] of flips(4, 0, zipBytes.length, 60, (at) => !inData(at))) {
    add(
      'zip structure flip',
      `zip header/directory byte ${at} bit ${bit}`,
      STRUCTURE,
      zipCase(() => flipped(zipBytes, at, bit)),
      { accept: { identical: true } },
    )
  }

  for (const [at, bit] of flips(5, 0, zipBytes.length, 40, (at) => storages.some((e) => at >= e.start && at < e.end))) {
    add(
      'tensor flip',
      `zip tensor byte ${at} bit ${bit}`,
      ['checkpoint-corrupt'],
      zipCase(() => flipped(zipBytes, at, bit)),
    )
  }
  for (const [at, bit] of flips(6, stDataStart, stBytes.length, 40)) {
    add(
      'tensor flip',
      `safetensors tensor byte ${at} bit ${bit}`,
      ['checkpoint-values'],
      stCase(() => flipped(stBytes, at, bit)),
      {
        accept: { altered: 'safetensors has no checksum: a flipped weight that stays finite and in range is undetectable' },
      },
    )
  }

  const matrices = names
    .filter((n) => tensors.get(n)!.shape.length === 2)
    .filter((_, i) => i % 3 === 0)
    .slice(0, 4)
  for (const name of matrices) {
    const [a, b] = tensors.get(name)!.shape
    const lies: Array<[string, number[], ErrorCode[]]> = [
      ...(a !== b ? [['transposed', [b, a], ['checkpoint-shape']] as [string, number[], ErrorCode[]]] : []),
      ['flattened', [a * b], ['checkpoint-shape']],
      ['one row more', [a + 1, b], ['checkpoint-format', 'checkpoint-shape']],
      ['one row less', [a - 1, b], ['checkpoint-format', 'checkpoint-shape']],
    ]
    for (const [what, shape, codes] of lies) {
      add(
        'shape lie',
        `zip ${name} ${what}`,
        codes,
        zipCase(() => zipOf(tensors, (p) => (p.name === name ? { ...p, shape } : p))),
        { mentions: name },
      )
      add(
        'shape lie',
        `safetensors ${name} ${what}`,
        ['checkpoint-format', 'checkpoint-shape'],
        stCase(() => stOf(tensors, (n, s) => (n === name ? shape : s))),
        { mentions: name },
      )
    }
  }

  const first = names[0]
  const huge = 2 ** 40
  add(
    'size bomb',
    'zip: storage of 2^40 elements behind a [2^20, 2^20] tensor',
    STRUCTURE,
    zipCase(() => zipOf(tensors, (p) => (p.name === first ? { ...p, storageNumel: huge, shape: [2 ** 20, 2 ** 20] } : p))),
  )
  add(
    'size bomb',
    'zip: shape [2^31, 2^31, 2^31]',
    STRUCTURE,
    zipCase(() => zipOf(tensors, (p) => (p.name === first ? { ...p, shape: [2 ** 31, 2 ** 31, 2 ** 31] } : p))),
  )
  for (const [field, value] of [
    [20, 0x7fffffff],
    [24, 0x7fffffff],
    [20, 0xffffffff],
  ] as const) {
    add(
      'size bomb',
      `zip: central size field +${field} of ${storages[0].name} = ${value}`,
      STRUCTURE,
      zipCase(() => {
        const z = Uint8Array.from(zipBytes)
        new DataView(z.buffer).setUint32(storages[0].central + field, value, true)
        return z
      }),
    )
  }
  for (const [field, value, what] of [
    [32, 2n ** 31n, 'entries'],
    [40, 2n ** 40n, 'directory bytes'],
  ] as const) {
    add(
      'size bomb',
      `zip: the zip64 end record claims ${value} ${what}`,
      STRUCTURE,
      zipCase(() => {
        const z = Uint8Array.from(zipBytes)
        const v = new DataView(z.buffer)
        const record = Number(v.getBigUint64(z.length - 22 - 20 + 8, true)) // from the zip64 locator
        v.setBigUint64(record + field, value, true)
        return z
      }),
    )
  }
  const stHeaderBomb = (len: bigint) => () => {
    const s = Uint8Array.from(stBytes)
    new DataView(s.buffer).setBigUint64(0, len, true)
    return s
  }
  for (const len of [2n ** 62n, BigInt(stBytes.length), 100n * 1024n * 1024n + 1n, 0n])
    add('size bomb', `safetensors header length ${len}`, STRUCTURE, stCase(stHeaderBomb(len)))
  add(
    'size bomb',
    'safetensors shape [2^21, 2^21, 2^21]',
    STRUCTURE,
    stCase(() => stOf(tensors, (n, s) => (n === first ? [2 ** 21, 2 ** 21, 2 ** 21] : s))),
  )
  add(
    'size bomb',
    'safetensors data_offsets [0, 2^53]',
    STRUCTURE,
    stCase(() => {
      const header = JSON.parse(new TextDecoder().decode(stBytes.subarray(8, stDataStart)))
      const key = Object.keys(header).find((k) => k !== '__metadata__')!
      header[key].data_offsets = [0, 2 ** 53]
      header[key].shape = [2 ** 51]
      const json = new TextEncoder().encode(JSON.stringify(header))
      const len = new Uint8Array(8)
      new DataView(len.buffer).setBigUint64(0, BigInt(json.length), true)
      return Uint8Array.from([...len, ...json, ...stBytes.subarray(stDataStart)])
    }),
  )

  const targets = [
    'backpack.sense_network.final_mlp.c_fc.weight',
    'backpack.gpt2_model.h.0.attn.c_attn.weight',
    'backpack.gpt2_model.h.1.mlp.c_proj.weight',
    'backpack.gpt2_model.ln_f.bias',
  ]
  for (const name of targets) {
    for (const value of [NaN, Infinity, -Infinity]) {
      add(
        'non-finite values',
        `zip ${name} = ${value}`,
        ['checkpoint-values'],
        zipCase(() => zipOf(withValues(name, 1, value))),
        { mentions: name },
      )
      add(
        'non-finite values',
        `safetensors ${name} = ${value}`,
        ['checkpoint-values'],
        stCase(() => stOf(withValues(name, 1, value))),
        { mentions: name },
      )
    }
  }
  const hugeTargets: Array<[string, number, number]> = [
    ['backpack.gpt2_model.wte.weight', 50, 3e38],
    ['backpack.gpt2_model.wpe.weight', 50, -3e38],
    ['backpack.sense_network.block.mlp.c_fc.weight', 50, 3e38],
    ['backpack.gpt2_model.h.0.mlp.c_fc.weight', 50, 3e38],
    ['backpack.gpt2_model.h.1.attn.c_attn.weight', 50, 3e38],
    ['backpack.sense_weight_net.c_attn.weight', 50, 3e38],
    ['backpack.gpt2_model.h.1.ln_2.bias', 1, 1e30],
    ['backpack.gpt2_model.wte.weight', 1, 1e25],
  ]
  for (const [name, count, value] of hugeTargets) {
    add(
      'huge values',
      `zip ${count} × ${value} in ${name}`,
      ['checkpoint-values'],
      zipCase(() => zipOf(withValues(name, count, value))),
      { mentions: name },
    )
    add(
      'huge values',
      `safetensors ${count} × ${value} in ${name}`,
      ['checkpoint-values'],
      stCase(() => stOf(withValues(name, count, value))),
      { mentions: name },
    )
  }

  specialFileCases(add)
  return cases
}

const baseOf = (label: string): keyof typeof BASES => (/^zip|pytorch_model/.test(label) ? 'zip' : 'safetensors')

type Add = (category: string, label: string, codes: ErrorCode[], make: CheckpointCase['make'], extra?: Partial<CheckpointCase>) => void

function specialFileCases(add: Add): void {
  const cat = 'symlinks and special files'
  const withConfig = (dir: string, base: string = BASES.safetensors) => {
    mkdirSync(dir, { recursive: true })
    writeFileSync(join(dir, 'config.json'), configOf(base))
  }
  for (const [name, base] of [
    [ST_FILE, BASES.safetensors],
    [ZIP_FILE, BASES.zip],
  ] as const) {
    add(cat, `${name} is a symlink loop`, ['checkpoint-format'], (dir) => {
      withConfig(dir, base)
      symlinkSync('other', join(dir, name))
      symlinkSync(name, join(dir, 'other'))
    })
    add(cat, `${name} is a dangling symlink`, ['checkpoint-format'], (dir) => {
      withConfig(dir, base)
      symlinkSync('missing-file', join(dir, name))
    })
    add(cat, `${name} is a FIFO`, ['checkpoint-format'], (dir) => {
      withConfig(dir, base)
      execFileSync('mkfifo', [join(dir, name)])
    })
    add(cat, `${name} is a directory`, ['checkpoint-format'], (dir) => {
      withConfig(dir, base)
      mkdirSync(join(dir, name))
    })
    add(cat, `${name} links to a directory`, ['checkpoint-format'], (dir) => {
      withConfig(dir, base)
      symlinkSync(dir, join(dir, name))
    })
    for (const dev of ['/dev/zero', '/dev/null', '/dev/urandom']) {
      add(cat, `${name} links to ${dev}`, ['checkpoint-format'], (dir) => {
        withConfig(dir, base)
        symlinkSync(dev, join(dir, name))
      })
    }
    add(
      cat,
      `${name} links to the fixture's own file (valid)`,
      [],
      (dir) => {
        withConfig(dir, base)
        symlinkSync(join(base, name), join(dir, name))
      },
      { accept: { identical: true } },
    )
  }
  add(cat, 'config.json is a symlink loop', ['checkpoint-config'], (dir) => {
    mkdirSync(dir, { recursive: true })
    copyFileSync(join(BASES.safetensors, ST_FILE), join(dir, ST_FILE))
    symlinkSync('config.json', join(dir, 'config.json'))
  })
  add(cat, 'config.json is a FIFO', ['checkpoint-config'], (dir) => {
    mkdirSync(dir, { recursive: true })
    copyFileSync(join(BASES.safetensors, ST_FILE), join(dir, ST_FILE))
    execFileSync('mkfifo', [join(dir, 'config.json')])
  })
  add(cat, 'config.json links to /dev/zero', ['checkpoint-config'], (dir) => {
    mkdirSync(dir, { recursive: true })
    copyFileSync(join(BASES.safetensors, ST_FILE), join(dir, ST_FILE))
    symlinkSync('/dev/zero', join(dir, 'config.json'))
  })
  add(cat, 'the checkpoint directory is a symlink loop', ['not-found'], (dir) => {
    mkdirSync(join(dir, '..'), { recursive: true })
    symlinkSync(dir, dir)
  })
  const index = JSON.stringify({ weight_map: { 'backpack.gpt2_model.wte.weight': 'model-1.safetensors' } })
  for (const [what, make] of [
    ['a FIFO', (p: string) => execFileSync('mkfifo', [p])],
    ['a symlink loop', (p: string) => symlinkSync(p, p)],
    ['a directory', (p: string) => mkdirSync(p)],
    ['a link to /dev/zero', (p: string) => symlinkSync('/dev/zero', p)],
  ] as const) {
    add(cat, `a shard is ${what}`, ['checkpoint-format'], (dir) => {
      withConfig(dir)
      writeFileSync(join(dir, 'model.safetensors.index.json'), index)
      make(join(dir, 'model-1.safetensors'))
    })
  }
  add(cat, 'the shard index is a FIFO', ['checkpoint-format'], (dir) => {
    withConfig(dir)
    execFileSync('mkfifo', [join(dir, 'model.safetensors.index.json')])
  })
}
