import { crc32 } from 'node:zlib'
import type { ErrorCode } from '../../../../src/shared/errors'
import { expectedTensorShapes, parseBackpackConfig } from '../../../../src/main/checkpoint/backpack-config'
import {
  concat,
  encode,
  safetensorsBytes,
  safetensorsFromTensors,
  tinyConfigJson,
  torchLegacyBytes,
  torchZipBytes,
  torchZipFromParts,
  zipStored,
} from './checkpoint-writer'
import type { HelperTensor, WriteDType } from './checkpoint-writer'
import { PickleBuilder, stateDictPickle } from './pickle-builder'
import type { PickledTensor } from './pickle-builder'
import { tinyTensors } from './tiny-checkpoint'

/**
 * The hostile-input corpus: malformed checkpoint directories generated programmatically from a
 * valid tiny checkpoint, each with the error code it must produce.
 */
export interface HostileCase {
  label: string
  expect: ErrorCode
  /** A substring the message must contain (the tensor or global it names). */
  mentions?: string
  make: () => { config: unknown; files: Record<string, Uint8Array | string> }
}

const src = tinyTensors(11)
const cfg = tinyConfigJson()
const names = [...src.keys()]
const shapes = expectedTensorShapes(parseBackpackConfig(cfg))
const enc = new TextEncoder()

const zip = (t = src, o: Parameters<typeof torchZipBytes>[1] = {}): Uint8Array =>
  torchZipBytes(t, { tiedAliases: true, maskBuffers: 2, ...o })
const legacy = (t = src, o: Parameters<typeof torchLegacyBytes>[1] = {}): Uint8Array =>
  torchLegacyBytes(t, { tiedAliases: true, maskBuffers: 2, ...o })
const bin = (b: Uint8Array) => ({ config: cfg, files: { 'pytorch_model.bin': b } })
const st = (b: Uint8Array) => ({ config: cfg, files: { 'model.safetensors': b } })

function replaced(name: string, t: HelperTensor): Map<string, HelperTensor> {
  return new Map([...src].map(([k, v]) => [k, k === name ? t : v]))
}

function pickled(
  tensors: Map<string, HelperTensor>,
  dtype = 'FloatStorage' as PickledTensor['storageType'],
): { p: PickledTensor[]; storages: Array<[string, Uint8Array]> } {
  const p: PickledTensor[] = []
  const storages: Array<[string, Uint8Array]> = []
  for (const [name, t] of tensors) {
    const key = String(storages.length)
    storages.push([key, encode(t.data, 'F32')])
    p.push({ name, storageType: dtype, storageKey: key, storageNumel: t.data.length, offset: 0, shape: t.shape })
  }
  return { p, storages }
}

const stateDict = pickled(src)

/** A torch zip whose pickle is `pkl` and storages those of the tiny state dict. */
const zipWithPickle = (pkl: Uint8Array, storages = stateDict.storages): Uint8Array => torchZipFromParts(pkl, storages)

function truncations(total: number, count: number): number[] {
  const out = new Set<number>([0, 1, 7, total - 1])
  for (let i = 1; out.size < count; i++) out.add(Math.floor((total * i) / (count + 1)))
  return [...out].filter((n) => n >= 0 && n < total).sort((a, b) => a - b)
}

function patch(bytes: Uint8Array, at: number, write: (v: DataView) => void): Uint8Array {
  const copy = bytes.slice()
  write(new DataView(copy.buffer, at))
  return copy
}

/** Offset of the central-directory record of `name` in a helper-written zip. */
function centralEntry(z: Uint8Array, name: string): number {
  const v = new DataView(z.buffer, z.byteOffset)
  const nb = enc.encode(name)
  for (let i = z.length - 46; i >= 0; i--) {
    if (v.getUint32(i, true) === 0x02014b50 && v.getUint16(i + 28, true) === nb.length && nb.every((b, j) => z[i + 46 + j] === b)) return i
  }
  throw new Error(`no central entry ${name}`)
}

// Callables a pickle could use to run code, read files or open sockets; all must be refused.
const FORBIDDEN: Array<[string, string]> = [
  ['os', 'system'],
  ['posix', 'system'],
  ['nt', 'system'],
  ['os', 'popen'],
  ['os', 'execv'],
  ['os', 'remove'],
  ['builtins', 'eval'],
  ['builtins', 'exec'],
  ['builtins', 'getattr'],
  ['builtins', '__import__'],
  ['builtins', 'open'],
  ['__builtin__', 'eval'],
  ['subprocess', 'Popen'],
  ['subprocess', 'run'],
  ['subprocess', 'check_output'],
  ['shutil', 'rmtree'],
  ['socket', 'socket'],
  ['webbrowser', 'open'],
  ['pickle', 'loads'],
  ['torch', 'load'],
  ['torch.jit', 'load'],
  ['torch._utils', '_rebuild_tensor'],
  ['torch.storage', '_load_from_bytes'],
  ['numpy.core.multiarray', '_reconstruct'],
  ['functools', 'partial'],
  ['operator', 'attrgetter'],
  ['collections', 'defaultdict'],
  ['torch', 'ComplexFloatStorage'],
]

function forbiddenCall(p: PickleBuilder, module: string, name: string): void {
  p.global(module, name).str('touch /tmp/backpack-pwned-marker').raw(0x85).reduce().raw(0x30) // TUPLE1 REDUCE POP
}

function stackGlobalCall(p: PickleBuilder, module: string, name: string): void {
  const short = (s: string): number[] => [0x8c, s.length, ...enc.encode(s)]
  p.raw(...short(module), ...short(name), 0x93)
    .str('id')
    .raw(0x85)
    .reduce()
    .raw(0x30)
}

// Bytes that are not opcodes this reader accepts (unknown, or pickle opcodes torch never emits).
const BAD_OPCODES = [
  0x00, 0x01, 0x20, 0x7f, 0xff, 0xfe, 0xa0, 0xc8, 0x46, 0x53, 0x56, 0x6f, 0x81, 0x82, 0x83, 0x84, 0x8e, 0x8f, 0x90, 0x91, 0x92, 0x96, 0x97,
  0x98, 0x99,
]

export function hostileCases(): HostileCase[] {
  const cases: HostileCase[] = []
  const add = (label: string, expect: ErrorCode, make: HostileCase['make'], mentions?: string): void => {
    cases.push({ label, expect, make, mentions })
  }

  // A. torch zip, legacy and safetensors files cut short at many offsets
  const z = zip()
  for (const n of truncations(z.length, 40))
    add(`torch zip truncated to ${n} of ${z.length} bytes`, 'checkpoint-format', () => bin(z.subarray(0, n)))
  const l = legacy()
  for (const n of truncations(l.length, 25))
    add(`legacy torch truncated to ${n} of ${l.length} bytes`, 'checkpoint-format', () => bin(l.subarray(0, n)))
  const s = safetensorsFromTensors(src)
  for (const n of truncations(s.length, 25))
    add(`safetensors truncated to ${n} of ${s.length} bytes`, 'checkpoint-format', () => st(s.subarray(0, n)))
  const pkl = stateDictPickle(stateDict.p)
  for (const n of truncations(pkl.length, 25))
    add(`data.pkl truncated to ${n} of ${pkl.length} bytes`, 'checkpoint-format', () => bin(zipWithPickle(pkl.subarray(0, n))))

  // B. bad opcodes: injected before STOP, and in place of the PROTO opcode
  for (const op of BAD_OPCODES) {
    add(`opcode 0x${op.toString(16)} before STOP`, 'checkpoint-format', () =>
      bin(zipWithPickle(stateDictPickle(stateDict.p, { beforeStop: (p) => p.raw(op) }))),
    )
    add(`opcode 0x${op.toString(16)} in place of PROTO`, 'checkpoint-format', () => {
      const bad = pkl.slice()
      bad[0] = op
      return bin(zipWithPickle(bad))
    })
  }

  // C. forbidden globals through GLOBAL (zip and legacy) and STACK_GLOBAL (protocol 4)
  for (const [m, n] of FORBIDDEN) {
    const g = `${m}.${n}`
    add(`GLOBAL ${g} in a torch zip`, 'checkpoint-forbidden', () => bin(zip(src, { beforeStop: (p) => forbiddenCall(p, m, n) })), g)
    add(`GLOBAL ${g} in a legacy file`, 'checkpoint-forbidden', () => bin(legacy(src, { beforeStop: (p) => forbiddenCall(p, m, n) })), g)
    add(`STACK_GLOBAL ${g}`, 'checkpoint-forbidden', () => bin(zip(src, { beforeStop: (p) => stackGlobalCall(p, m, n) })), g)
  }

  // D. wrong shapes (every canonical tensor) and missing tensors
  names.forEach((name, i) => {
    const want = shapes.get(name)!
    const shape = want.map((d, j) => (j === want.length - 1 ? d + 1 : d))
    const t = { shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)) }
    const bad = replaced(name, t)
    const fmt = i % 3
    add(
      `${name} with shape [${shape}] (${['zip', 'safetensors', 'legacy'][fmt]})`,
      'checkpoint-shape',
      () => (fmt === 0 ? bin(zip(bad)) : fmt === 1 ? st(safetensorsFromTensors(bad)) : bin(legacy(bad))),
      name,
    )
  })
  for (const name of names.filter((_, i) => i % 4 === 0)) {
    add(`${name} missing`, 'checkpoint-shape', () => st(safetensorsFromTensors(new Map([...src].filter(([k]) => k !== name)))), name)
  }

  // E. non-finite weights in fp32, fp16 and bf16
  const dtypes: WriteDType[] = ['F32', 'F16', 'BF16']
  names
    .filter((_, i) => i % 3 === 1)
    .forEach((name, i) => {
      const value = [NaN, Infinity, -Infinity][i % 3]
      const t = src.get(name)!
      const data = t.data.slice()
      data[data.length - 1] = value
      const dtype = dtypes[i % 3]
      const bad = replaced(name, { shape: t.shape, data })
      add(
        `${value} in ${name} (${dtype})`,
        'checkpoint-values',
        () => (i % 2 ? st(safetensorsFromTensors(bad, dtype)) : bin(zip(bad, { dtype }))),
        name,
      )
    })

  // F. wrong dtypes for weights, unknown dtypes
  const w = 'backpack.gpt2_model.h.0.ln_1.weight'
  const wt = src.get(w)!
  for (const [dtype, size] of [
    ['I64', 8],
    ['BOOL', 1],
    ['F64', 8],
    ['U8', 1],
    ['I32', 4],
  ] as const) {
    add(
      `${w} stored as ${dtype}`,
      'checkpoint-shape',
      () =>
        st(
          safetensorsBytes(
            [...src].map(([k, t]) =>
              k === w
                ? { name: k, dtype, shape: t.shape, bytes: new Uint8Array(t.data.length * size) }
                : { name: k, dtype: 'F32', shape: t.shape, bytes: encode(t.data, 'F32') },
            ),
          ),
        ),
      w,
    )
  }
  for (const storage of ['LongStorage', 'BoolStorage', 'DoubleStorage'] as const) {
    add(
      `${w} in a torch ${storage}`,
      'checkpoint-shape',
      () => {
        const size = storage === 'BoolStorage' ? 1 : 8
        const p = stateDict.p.map((t) => (t.name === w ? { ...t, storageType: storage } : t))
        const storages = stateDict.storages.map(
          ([k, b]) =>
            [k, p.find((t) => t.storageKey === k)!.name === w ? new Uint8Array(wt.data.length * size) : b] as [string, Uint8Array],
        )
        return bin(zipWithPickle(stateDictPickle(p), storages))
      },
      w,
    )
  }
  for (const dtype of ['F8_E4M3', 'complex64', '', 'f32']) {
    add(`safetensors dtype ${JSON.stringify(dtype)}`, 'checkpoint-format', () =>
      st(
        safetensorsBytes(
          [...src].map(([k, t]) => ({ name: k, dtype: k === w ? dtype : 'F32', shape: t.shape, bytes: encode(t.data, 'F32') })),
        ),
      ),
    )
  }

  addSafetensorsHeaderCases(add)
  addZipStructureCases(add)
  addPickleStructureCases(add)
  addConfigCases(add)
  addIndexAndAliasCases(add)
  addLegacyCases(add)
  return cases
}

type Add = (label: string, expect: ErrorCode, make: HostileCase['make'], mentions?: string) => void

function headerWith(json: string, data = new Uint8Array(64)): Uint8Array {
  const h = enc.encode(json)
  const len = new Uint8Array(8)
  new DataView(len.buffer).setBigUint64(0, BigInt(h.length), true)
  return concat([len, h, data])
}

function addSafetensorsHeaderCases(add: Add): void {
  const s = safetensorsFromTensors(src)
  for (const declared of [BigInt(s.length - 7), BigInt(s.length), 1n << 32n, (1n << 63n) - 1n, (1n << 64n) - 1n]) {
    add(`safetensors header length ${declared} beyond the file`, 'checkpoint-format', () =>
      st(patch(s, 0, (v) => v.setBigUint64(0, declared, true))),
    )
  }
  const one = (entry: unknown): string => JSON.stringify({ 'backpack.gpt2_model.wte.weight': entry })
  const bad: Array<[string, string]> = [
    ['invalid JSON', '{"a": '],
    ['a JSON array', '[1, 2]'],
    ['JSON null', 'null'],
    ['entry not an object', one(5)],
    ['dtype missing', one({ shape: [10, 8], data_offsets: [0, 320] })],
    ['shape not a list', one({ dtype: 'F32', shape: 80, data_offsets: [0, 320] })],
    ['negative dimension', one({ dtype: 'F32', shape: [-10, 8], data_offsets: [0, 320] })],
    ['fractional dimension', one({ dtype: 'F32', shape: [10.5, 8], data_offsets: [0, 336] })],
    ['huge shape', one({ dtype: 'F32', shape: [1 << 30, 1 << 30, 1 << 30], data_offsets: [0, 64] })],
    ['offsets beyond the data', one({ dtype: 'F32', shape: [10, 8], data_offsets: [1 << 30, (1 << 30) + 320] })],
    ['reversed offsets', one({ dtype: 'F32', shape: [4], data_offsets: [16, 0] })],
    ['three offsets', one({ dtype: 'F32', shape: [4], data_offsets: [0, 16, 32] })],
    ['offsets not matching the shape', one({ dtype: 'F32', shape: [4], data_offsets: [0, 12] })],
    ['string offsets', one({ dtype: 'F32', shape: [4], data_offsets: ['0', '16'] })],
    [
      'overlapping tensors',
      JSON.stringify({ a: { dtype: 'F32', shape: [4], data_offsets: [0, 16] }, b: { dtype: 'F32', shape: [4], data_offsets: [8, 24] } }),
    ],
  ]
  for (const [label, json] of bad) add(`safetensors header: ${label}`, 'checkpoint-format', () => st(headerWith(json)))
  add('safetensors header: not UTF-8', 'checkpoint-format', () =>
    st(concat([Uint8Array.of(4, 0, 0, 0, 0, 0, 0, 0), Uint8Array.of(0xff, 0xfe, 0x7b, 0x7d)])),
  )
}

function addZipStructureCases(add: Add): void {
  const z = zip()
  const eocd = z.length - 22
  const rec = eocd - 20 - 56
  const cd = centralEntry(z, 'archive/data/0')
  const pklEntry = centralEntry(z, 'archive/data.pkl')
  const cases: Array<[string, Uint8Array]> = [
    ['zip64 central directory offset beyond the file', patch(z, rec + 48, (v) => v.setBigUint64(0, BigInt(z.length + 100), true))],
    ['zip64 entry count huge', patch(z, rec + 32, (v) => v.setBigUint64(0, 1n << 40n, true))],
    ['zip64 record pointer out of place', patch(z, eocd - 20 + 8, (v) => v.setBigUint64(0, 3n, true))],
    ['central directory size too small', patch(z, rec + 40, (v) => v.setBigUint64(0, 10n, true))],
    [
      'storage entry compressed size beyond the file',
      patch(z, cd + 20, (v) => {
        v.setUint32(0, 0x7fffffff, true)
        v.setUint32(4, 0x7fffffff, true)
      }),
    ],
    [
      'storage entry size smaller than the storage',
      patch(z, cd + 20, (v) => {
        v.setUint32(0, 4, true)
        v.setUint32(4, 4, true)
      }),
    ],
    ['storage local header offset beyond the file', patch(z, cd + 42, (v) => v.setUint32(0, z.length * 2, true))],
    ['storage local header offset at a non-header', patch(z, cd + 42, (v) => v.setUint32(0, 8, true))],
    ['storage compression method 12 (bzip2)', patch(z, cd + 10, (v) => v.setUint16(0, 12, true))],
    [
      'deflated data.pkl declaring 2 GB (zip bomb)',
      patch(z, pklEntry + 10, (v) => {
        v.setUint16(0, 8, true)
        v.setUint32(14, 0x7fffffff, true)
      }),
    ],
    ['deflated data.pkl that is not deflate data', patch(z, pklEntry + 10, (v) => v.setUint16(0, 8, true))],
    ['encrypted entry flag', patch(z, cd + 8, (v) => v.setUint16(0, 1, true))],
    ['central directory signature broken', patch(z, cd, (v) => v.setUint32(0, 0x12345678, true))],
    ['not a zip at all', enc.encode('PK but not really a zip archive, just text')],
    ['random bytes', Uint8Array.from({ length: 4096 }, (_, i) => (i * 2654435761) >>> 24)],
  ]
  for (const [label, bytes] of cases) add(`torch zip: ${label}`, 'checkpoint-format', () => bin(bytes))
  const storages = stateDict.storages
  const pkl = stateDictPickle(stateDict.p)
  add('torch zip: no data.pkl', 'checkpoint-format', () =>
    bin(zipStored([['archive/version', enc.encode('3')], ...storages.map(([k, b]) => [`archive/data/${k}`, b] as const)])),
  )
  add('torch zip: two data.pkl folders', 'checkpoint-format', () =>
    bin(
      zipStored([
        ['a/data.pkl', pkl],
        ['b/data.pkl', pkl],
      ]),
    ),
  )
  add('torch zip: storage entry missing', 'checkpoint-format', () => bin(torchZipFromParts(pkl, storages.slice(1))))
  add('torch zip: big-endian byteorder', 'checkpoint-format', () => {
    const zz = torchZipFromParts(pkl, storages)
    const at = findBytes(zz, enc.encode('little'))
    const big = patch(zz, at, (v) => [0x62, 0x69, 0x67, 0x0a, 0x0a, 0x0a].forEach((b, i) => v.setUint8(i, b)))
    // a consistent archive (CRC-32 recomputed), so that the byte order is what gets refused
    return bin(patch(big, centralEntry(big, 'archive/byteorder') + 16, (v) => v.setUint32(0, crc32(big.subarray(at, at + 6)), true)))
  })
}

function findBytes(hay: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i <= hay.length - needle.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer
    return i
  }
  throw new Error('needle not found')
}

function addPickleStructureCases(add: Add): void {
  const { p, storages } = stateDict
  const z = (pk: Uint8Array, st = storages) => bin(zipWithPickle(pk, st))
  const head = () => new PickleBuilder().proto(2).global('collections', 'OrderedDict').emptyTuple().reduce()
  add('pickle: state-dict value is an int', 'checkpoint-format', () => z(head().mark().str('a').int(3).setitems().stop().bytes()))
  add('pickle: state-dict key is an int', 'checkpoint-format', () =>
    z(stateDictPickle(p, { beforeStop: (b) => b.mark().int(5).int(6).setitems() })),
  )
  add('pickle: top value is a list', 'checkpoint-format', () => z(new PickleBuilder().proto(2).emptyList().stop().bytes()))
  add('pickle: persistent id is a string', 'checkpoint-format', () =>
    z(head().mark().str('a').str('storage').binpersid().setitems().stop().bytes()),
  )
  add('pickle: persistent id names OrderedDict as storage type', 'checkpoint-format', () =>
    z(
      head()
        .mark()
        .str('a')
        .global('torch._utils', '_rebuild_tensor_v2')
        .mark()
        .mark()
        .str('storage')
        .global('collections', 'OrderedDict')
        .str('0')
        .str('cpu')
        .int(4)
        .tuple()
        .binpersid()
        .int(0)
        .intTuple([4])
        .intTuple([1])
        .bool(false)
        .tuple()
        .reduce()
        .setitems()
        .stop()
        .bytes(),
    ),
  )
  add('pickle: _rebuild_tensor_v2 with two arguments', 'checkpoint-format', () =>
    z(head().mark().str('a').global('torch._utils', '_rebuild_tensor_v2').mark().int(0).int(1).tuple().reduce().setitems().stop().bytes()),
  )
  add('pickle: _rebuild_parameter of an int', 'checkpoint-format', () =>
    z(
      head()
        .mark()
        .str('a')
        .global('torch._utils', '_rebuild_parameter')
        .mark()
        .int(0)
        .bool(false)
        .emptyTuple()
        .tuple()
        .reduce()
        .setitems()
        .stop()
        .bytes(),
    ),
  )
  add('pickle: OrderedDict called with arguments', 'checkpoint-format', () =>
    z(new PickleBuilder().proto(2).global('collections', 'OrderedDict').intTuple([1]).reduce().stop().bytes()),
  )
  add('pickle: storage declared twice with different sizes', 'checkpoint-format', () =>
    z(stateDictPickle(p.map((t, i) => (i === 1 ? { ...t, storageKey: p[0].storageKey } : t)))),
  )
  add('pickle: storage numel larger than its entry', 'checkpoint-format', () =>
    z(stateDictPickle(p.map((t, i) => (i === 0 ? { ...t, storageNumel: t.storageNumel + 1 } : t)))),
  )
  add('pickle: tensor beyond its storage', 'checkpoint-format', () =>
    z(stateDictPickle(p.map((t, i) => (i === 0 ? { ...t, offset: 3 } : t)))),
  )
  add('pickle: non-contiguous stride', 'checkpoint-format', () =>
    z(stateDictPickle(p.map((t, i) => (i === 0 ? { ...t, stride: [1, t.shape[0]] } : t)))),
  )
  add('pickle: stride of the wrong length', 'checkpoint-format', () =>
    z(stateDictPickle(p.map((t, i) => (i === 0 ? { ...t, stride: [1] } : t)))),
  )
  add('pickle: nine dimensions', 'checkpoint-format', () =>
    z(stateDictPickle(p.map((t, i) => (i === 0 ? { ...t, shape: [1, 1, 1, 1, 1, 1, 1, 1, 1], stride: [1, 1, 1, 1, 1, 1, 1, 1, 1] } : t)))),
  )
  add('pickle: bytes after STOP', 'checkpoint-format', () => z(concat([stateDictPickle(p), Uint8Array.of(0x4e)])))
  add('pickle: storage view metadata', 'checkpoint-format', () =>
    z(
      head()
        .mark()
        .str('a')
        .global('torch._utils', '_rebuild_tensor_v2')
        .mark()
        .mark()
        .str('storage')
        .global('torch', 'FloatStorage')
        .str('0')
        .str('cpu')
        .int(80)
        .mark()
        .str('v')
        .int(0)
        .int(4)
        .tuple()
        .tuple()
        .binpersid()
        .int(0)
        .intTuple([4])
        .intTuple([1])
        .bool(false)
        .tuple()
        .reduce()
        .setitems()
        .stop()
        .bytes(),
    ),
  )
  add('pickle: memo index never stored', 'checkpoint-format', () => z(head().binget(200).stop().bytes()))
  add('pickle: unterminated GLOBAL', 'checkpoint-format', () => z(Uint8Array.of(0x80, 2, 0x63, ...enc.encode('collections'))))
  // tuples nested 10⁵ deep (one TUPLE1 byte each) where an error message describes the value
  const deep = (b: PickleBuilder) => {
    b.emptyTuple()
    for (let i = 0; i < 100_000; i++) b.raw(0x85)
    return b
  }
  add('pickle: persistent id nested 100k tuples deep', 'checkpoint-format', () =>
    z(deep(head().mark().str('a')).binpersid().setitems().stop().bytes()),
  )
  add('pickle: state-dict value nested 100k tuples deep', 'checkpoint-format', () =>
    z(deep(head().mark().str('a')).setitems().stop().bytes()),
  )
  add('pickle: state-dict key nested 100k tuples deep', 'checkpoint-format', () => z(deep(head().mark()).int(1).setitems().stop().bytes()))
  add('pickle: tensor size nested 100k tuples deep', 'checkpoint-format', () =>
    z(
      deep(
        head()
          .mark()
          .str('a')
          .global('torch._utils', '_rebuild_tensor_v2')
          .mark()
          .mark()
          .str('storage')
          .global('torch', 'FloatStorage')
          .str('0')
          .str('cpu')
          .int(4)
          .tuple()
          .binpersid()
          .int(0),
      )
        .intTuple([1])
        .bool(false)
        .emptyTuple()
        .tuple()
        .reduce()
        .setitems()
        .stop()
        .bytes(),
    ),
  )
  add('pickle: a 5000-character storage key', 'checkpoint-format', () =>
    z(
      head()
        .mark()
        .str('a')
        .global('torch._utils', '_rebuild_tensor_v2')
        .mark()
        .mark()
        .str('storage')
        .global('torch', 'FloatStorage')
        .str('k'.repeat(5000))
        .str('cpu')
        .int(4)
        .tuple()
        .binpersid()
        .int(0)
        .intTuple([4])
        .intTuple([1])
        .bool(false)
        .tuple()
        .reduce()
        .setitems()
        .stop()
        .bytes(),
    ),
  )
}

function addConfigCases(add: Add): void {
  const weights = { 'model.safetensors': safetensorsFromTensors(src) }
  const withConfig = (config: unknown) => () => ({ config, files: weights })
  for (const text of ['', '{', 'nul', '{"n_embd": 8,}', '\u0000'])
    add(`config.json ${JSON.stringify(text)}`, 'checkpoint-config', withConfig(text))
  for (const json of ['[1]', '"string"', '42', 'null']) add(`config.json is ${json}`, 'checkpoint-config', withConfig(json))
  for (const key of ['n_embd', 'n_head', 'n_layer', 'n_positions', 'vocab_size', 'num_senses', 'sense_intermediate_scale']) {
    const c: Record<string, unknown> = { ...cfg }
    delete c[key]
    add(`config.json without ${key}`, 'checkpoint-config', withConfig(c), key)
  }
  const over: Array<[string, Record<string, unknown>]> = [
    ['n_embd as a string', { n_embd: '8' }],
    ['negative n_layer', { n_layer: -2 }],
    ['fractional n_head', { n_head: 1.5 }],
    ['huge vocab_size', { vocab_size: 1e12 }],
    ['n_head not dividing n_embd', { n_head: 3 }],
    ['num_senses not dividing n_embd', { num_senses: 3 }],
    ['relu activation', { activation_function: 'relu' }],
    ['an unknown model_type', { model_type: 'llama' }],
    ['plain GPT-2 architectures', { architectures: ['GPT2LMHeadModel'] }],
    ['architectures not a list', { architectures: 'BackpackGPT2LMHeadModel' }],
    ['layer_norm_epsilon 0', { layer_norm_epsilon: 0 }],
    ['scale_attn_weights as a string', { scale_attn_weights: 'yes' }],
  ]
  for (const [label, o] of over) add(`config.json with ${label}`, 'checkpoint-config', withConfig(tinyConfigJson(o)))
  const gpt2: Record<string, unknown> = { ...cfg, architectures: undefined }
  delete gpt2.num_senses
  add('plain GPT-2 config without num_senses', 'checkpoint-config', withConfig(gpt2), 'num_senses')
  add('config values consistent but the tensors are for another size', 'checkpoint-shape', withConfig(tinyConfigJson({ n_embd: 16 })))
}

function addIndexAndAliasCases(add: Add): void {
  const shard = safetensorsFromTensors(src)
  const map = (file: string) => JSON.stringify({ weight_map: Object.fromEntries(names.map((n) => [n, file])) })
  const sharded =
    (index: string, files: Record<string, Uint8Array> = { 'model-00001-of-00001.safetensors': shard }) =>
    () => ({
      config: cfg,
      files: { 'model.safetensors.index.json': index, ...files },
    })
  add('index: invalid JSON', 'checkpoint-format', sharded('{"weight_map": {'))
  add('index: no weight_map', 'checkpoint-format', sharded('{"metadata": {}}'))
  add('index: empty weight_map', 'checkpoint-format', sharded('{"weight_map": {}}'))
  add('index: shard path escapes the directory', 'checkpoint-format', sharded(map('../model.safetensors')))
  add('index: absolute shard path', 'checkpoint-format', sharded(map('/etc/passwd')))
  add('index: shard name not a string', 'checkpoint-format', sharded(JSON.stringify({ weight_map: { a: 5 } })))
  add('index: listed shard does not exist', 'not-found', sharded(map('model-00009-of-00009.safetensors')))
  add(
    'index: tensor in a shard the index does not name',
    'checkpoint-format',
    sharded(
      JSON.stringify({
        weight_map: { ...Object.fromEntries(names.map((n) => [n, 'model-00001-of-00001.safetensors'])), [names[0]]: 'other.safetensors' },
      }),
      { 'model-00001-of-00001.safetensors': shard, 'other.safetensors': safetensorsFromTensors(new Map()) },
    ),
  )
  add(
    'index: names a tensor the shard lacks',
    'checkpoint-format',
    sharded(
      JSON.stringify({
        weight_map: {
          ...Object.fromEntries(names.map((n) => [n, 'model-00001-of-00001.safetensors'])),
          'backpack.extra': 'model-00001-of-00001.safetensors',
        },
      }),
    ),
  )
  add('sharded: the same tensor in two shards', 'checkpoint-format', () => ({
    config: cfg,
    files: {
      'pytorch_model.bin.index.json': JSON.stringify({
        weight_map: Object.fromEntries(names.map((n, i) => [n, i % 2 ? 'a.bin' : 'b.bin'])),
      }),
      'a.bin': zip(src, { tiedAliases: false, maskBuffers: 0 }),
      'b.bin': zip(src, { tiedAliases: false, maskBuffers: 0 }),
    },
  }))
  const wte = src.get('backpack.gpt2_model.wte.weight')!
  const twice = { shape: wte.shape, data: wte.data.map((x) => x * 2) }
  add(
    'lm_head differs from wte (untied head)',
    'checkpoint-config',
    () => st(safetensorsFromTensors(new Map([...src, ['lm_head.weight', twice]]))),
    'lm_head.weight',
  )
  add(
    'word_embeddings differs from wte',
    'checkpoint-config',
    () => st(safetensorsFromTensors(new Map([...src, ['backpack.word_embeddings.weight', twice]]))),
    'backpack.word_embeddings.weight',
  )
  add(
    'position_embeddings with the wrong shape',
    'checkpoint-shape',
    () => st(safetensorsFromTensors(new Map([...src, ['backpack.position_embeddings.weight', wte]]))),
    'backpack.position_embeddings.weight',
  )
  add('no weight files at all', 'not-found', () => ({ config: cfg, files: {} }))
  add('no config.json', 'checkpoint-config', () => ({ config: undefined, files: { 'model.safetensors': safetensorsFromTensors(src) } }))
}

function addLegacyCases(add: Add): void {
  const l = legacy()
  // the legacy magic pickle is 14 bytes: PROTO 2, LONG1 10 bytes, STOP
  add('legacy: wrong magic number', 'checkpoint-format', () => bin(patch(l, 4, (v) => v.setUint8(0, l[4] ^ 0xff))))
  add('legacy: protocol version 1000', 'checkpoint-format', () => bin(patch(l, 17, (v) => v.setUint16(0, 1000, true))))
  add('legacy: storage count differs from the pickle', 'checkpoint-format', () => {
    // the key list's STOP, then the first storage's int64 count: wte's 80 elements
    const at = findBytes(l, Uint8Array.of(0x2e, 80, 0, 0, 0, 0, 0, 0, 0)) + 1
    return bin(patch(l, at, (v) => v.setBigInt64(0, 999n, true)))
  })
  add('legacy: trailing bytes', 'checkpoint-format', () => bin(concat([l, Uint8Array.of(1, 2, 3)])))
  add('legacy: big-endian sys info', 'checkpoint-format', () => {
    const at = findBytes(l, enc.encode('little_endian')) + 'little_endian'.length
    return bin(patch(l, at, (v) => v.setUint8(0, 0x89))) // NEWTRUE → NEWFALSE
  })
}

/** The valid files every hostile case is derived from; they must read successfully. */
export function baseCases(): Array<{ label: string; make: HostileCase['make'] }> {
  const pkl = stateDictPickle(stateDict.p)
  return [
    { label: 'torch zip with aliases and masks', make: () => bin(zip()) },
    { label: 'legacy torch with aliases and masks', make: () => bin(legacy()) },
    { label: 'safetensors', make: () => st(safetensorsFromTensors(src)) },
    { label: 'torch zip from the bare state-dict pickle', make: () => bin(zipWithPickle(pkl)) },
    {
      label: 'torch zip with a harmless opcode before STOP',
      make: () => bin(zipWithPickle(stateDictPickle(stateDict.p, { beforeStop: (p) => p.none().raw(0x30) }))),
    },
  ]
}
