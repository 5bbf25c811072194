import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { crc32 } from 'node:zlib'
import { PickleBuilder, stateDictPickle } from './pickle-builder'
import type { PickledTensor, TorchStorageName } from './pickle-builder'
import { mulberry32 } from '../../../helpers/mulberry32'

/**
 * Writes Backpack checkpoints the way torch.save / safetensors do, from a Map of fp32 tensors,
 * so tests can make valid files of any size and then break them on purpose.
 */

export interface HelperTensor {
  shape: number[]
  data: Float32Array
}
export type WriteDType = 'F32' | 'F16' | 'BF16'

const STORAGE: Record<WriteDType, TorchStorageName> = { F32: 'FloatStorage', F16: 'HalfStorage', BF16: 'BFloat16Storage' }
const SIZE: Record<WriteDType, number> = { F32: 4, F16: 2, BF16: 2 }

/** A tiny but complete Backpack-GPT2 config.json (every key of backpack-spec.md §1.1). */
export function tinyConfigJson(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    architectures: ['BackpackGPT2LMHeadModel'],
    model_type: 'gpt2',
    activation_function: 'gelu_new',
    bos_token_id: 50256,
    eos_token_id: 50256,
    layer_norm_epsilon: 1e-5,
    n_embd: 8,
    n_head: 2,
    n_inner: null,
    n_layer: 2,
    n_positions: 6,
    num_senses: 4,
    sense_intermediate_scale: 2,
    scale_attn_weights: true,
    scale_attn_by_inverse_layer_idx: true,
    reorder_and_upcast_attn: false,
    vocab_size: 10,
    ...over,
  }
}

/** Deterministic pseudo-random numbers in [-0.5, 0.5) (mulberry32, shifted). */
export function rng(seed: number): () => number {
  const next = mulberry32(seed)
  return () => next() - 0.5
}

/** Random tensors with the given shapes (values exactly representable in bf16 and fp16 if `exact16`). */
export function randomTensors(shapes: Map<string, number[]>, seed = 1, exact16 = false): Map<string, HelperTensor> {
  const r = rng(seed)
  const out = new Map<string, HelperTensor>()
  for (const [name, shape] of shapes) {
    const n = shape.reduce((a, b) => a * b, 1)
    const data = new Float32Array(n)
    // multiples of 1/16 in [-8, 8]: at most 8 significant bits, exact in fp16 and bf16
    for (let i = 0; i < n; i++) data[i] = exact16 ? Math.round(r() * 256) / 16 : r()
    out.set(name, { shape: [...shape], data })
  }
  return out
}

function f32ToF16(x: number): number {
  const f = new Float32Array([x])
  const u = new Uint32Array(f.buffer)[0]
  const sign = (u >>> 16) & 0x8000
  const exp = ((u >>> 23) & 0xff) - 127 + 15
  const mant = u & 0x7fffff
  if (((u >>> 23) & 0xff) === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0)
  if (exp >= 31) return sign | 0x7c00
  if (exp <= 0) {
    if (exp < -10) return sign
    const m = (mant | 0x800000) >>> (1 - exp + 13)
    return sign | m
  }
  return sign | (exp << 10) | (mant >>> 13) // truncation; tests use exactly representable values
}

/** Encodes fp32 values as little-endian bytes of `dtype` (F16/BF16 by truncation). */
export function encode(data: Float32Array, dtype: WriteDType): Uint8Array {
  if (dtype === 'F32') return new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength))
  const out = new Uint8Array(data.length * 2)
  const u32 = new Uint32Array(data.buffer, data.byteOffset, data.length)
  for (let i = 0; i < data.length; i++) {
    const h = dtype === 'BF16' ? u32[i] >>> 16 : f32ToF16(data[i])
    out[2 * i] = h & 0xff
    out[2 * i + 1] = h >>> 8
  }
  return out
}

/** A stored (uncompressed) zip like torch's writer: data aligned to 64 bytes, zip64 end records. */
export function zipStored(files: ReadonlyArray<readonly [string, Uint8Array]>, opts: { zip64?: boolean } = {}): Uint8Array {
  return concat(zipStoredParts(files, opts))
}

/** The pieces of zipStored in file order (headers and the data views themselves, uncopied). */
export function zipStoredParts(files: ReadonlyArray<readonly [string, Uint8Array]>, opts: { zip64?: boolean } = {}): Uint8Array[] {
  const chunks: Uint8Array[] = []
  const central: Uint8Array[] = []
  let offset = 0
  const enc = new TextEncoder()
  for (const [name, data] of files) {
    const nameBytes = enc.encode(name)
    const base = 30 + nameBytes.length
    const pad = (64 - ((offset + base + 4) % 64)) % 64
    const extraLen = 4 + pad
    const local = new Uint8Array(base + extraLen)
    const lv = new DataView(local.buffer)
    const crc = crc32(data)
    lv.setUint32(0, 0x04034b50, true)
    lv.setUint16(4, 20, true)
    lv.setUint32(14, crc, true)
    lv.setUint32(18, data.length, true)
    lv.setUint32(22, data.length, true)
    lv.setUint16(26, nameBytes.length, true)
    lv.setUint16(28, extraLen, true)
    local.set(nameBytes, 30)
    lv.setUint16(base, 0x4246, true) // "FB" padding field, as torch writes
    lv.setUint16(base + 2, pad, true)
    const c = new Uint8Array(46 + nameBytes.length)
    const cv = new DataView(c.buffer)
    cv.setUint32(0, 0x02014b50, true)
    cv.setUint16(4, 20, true)
    cv.setUint16(6, 20, true)
    cv.setUint32(16, crc, true)
    cv.setUint32(20, data.length, true)
    cv.setUint32(24, data.length, true)
    cv.setUint16(28, nameBytes.length, true)
    cv.setUint32(42, offset, true)
    c.set(nameBytes, 46)
    central.push(c)
    chunks.push(local, data)
    offset += local.length + data.length
  }
  const cdOffset = offset
  const cdSize = central.reduce((a, c) => a + c.length, 0)
  chunks.push(...central)
  const tail: Uint8Array[] = []
  if (opts.zip64 ?? true) {
    const rec = new Uint8Array(56)
    const rv = new DataView(rec.buffer)
    rv.setUint32(0, 0x06064b50, true)
    rv.setBigUint64(4, 44n, true)
    rv.setUint16(12, 45, true)
    rv.setUint16(14, 45, true)
    rv.setBigUint64(24, BigInt(files.length), true)
    rv.setBigUint64(32, BigInt(files.length), true)
    rv.setBigUint64(40, BigInt(cdSize), true)
    rv.setBigUint64(48, BigInt(cdOffset), true)
    const locator = new Uint8Array(20)
    const lv = new DataView(locator.buffer)
    lv.setUint32(0, 0x07064b50, true)
    lv.setBigUint64(8, BigInt(cdOffset + cdSize), true)
    lv.setUint32(16, 1, true)
    tail.push(rec, locator)
  }
  const eocd = new Uint8Array(22)
  const ev = new DataView(eocd.buffer)
  ev.setUint32(0, 0x06054b50, true)
  ev.setUint16(8, files.length, true)
  ev.setUint16(10, files.length, true)
  ev.setUint32(12, cdSize, true)
  ev.setUint32(16, cdOffset, true)
  tail.push(eocd)
  return [...chunks, ...tail]
}

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0))
  let o = 0
  for (const p of parts) {
    out.set(p, o)
    o += p.length
  }
  return out
}

export interface TorchWriteOptions {
  dtype?: WriteDType
  /** Add the HF aliases sharing E's and P's storage (word_embeddings, lm_head, position_embeddings). */
  tiedAliases?: boolean
  /** Add per-layer attn.bias (bool) and attn.masked_bias (fp32 scalar) buffers. */
  maskBuffers?: number // number of layers, 0 = none
  prefix?: string
  /** Wrap tensors as nn.Parameter (torch._utils._rebuild_parameter). */
  parameters?: boolean
  /** Hook to append opcodes after SETITEMS (must leave the stack as it found it). */
  beforeStop?: (p: PickleBuilder) => void
}

interface Layout {
  pickled: PickledTensor[]
  storages: Array<[string, Uint8Array]>
}

function torchLayout(tensors: Map<string, HelperTensor>, o: TorchWriteOptions): Layout {
  const dtype = o.dtype ?? 'F32'
  const pickled: PickledTensor[] = []
  const storages: Array<[string, Uint8Array]> = []
  const keyOf = new Map<string, [string, number]>()
  for (const [name, t] of tensors) {
    const key = String(storages.length)
    storages.push([key, encode(t.data, dtype)])
    keyOf.set(name, [key, t.data.length])
    pickled.push({
      name,
      storageType: STORAGE[dtype],
      storageKey: key,
      storageNumel: t.data.length,
      offset: 0,
      shape: t.shape,
      parameter: o.parameters,
    })
  }
  const alias = (name: string, of: string): void => {
    const src = keyOf.get(of)
    const t = tensors.get(of)
    if (!src || !t) return
    pickled.push({ name, storageType: STORAGE[dtype], storageKey: src[0], storageNumel: src[1], offset: 0, shape: t.shape })
  }
  if (o.tiedAliases) {
    alias('backpack.word_embeddings.weight', 'backpack.gpt2_model.wte.weight')
    alias('backpack.position_embeddings.weight', 'backpack.gpt2_model.wpe.weight')
    alias('lm_head.weight', 'backpack.gpt2_model.wte.weight')
  }
  for (let i = 0; i < (o.maskBuffers ?? 0); i++) {
    const p = 4
    const mask = new Uint8Array(p * p).map((_, j) => (j % p <= Math.floor(j / p) ? 1 : 0))
    const k1 = String(storages.length)
    storages.push([k1, mask])
    pickled.push({
      name: `backpack.gpt2_model.h.${i}.attn.bias`,
      storageType: 'BoolStorage',
      storageKey: k1,
      storageNumel: p * p,
      offset: 0,
      shape: [1, 1, p, p],
    })
    const k2 = String(storages.length)
    storages.push([k2, new Uint8Array(new Float32Array([-1e4]).buffer)])
    pickled.push({
      name: `backpack.gpt2_model.h.${i}.attn.masked_bias`,
      storageType: 'FloatStorage',
      storageKey: k2,
      storageNumel: 1,
      offset: 0,
      shape: [],
    })
  }
  return { pickled, storages }
}

/** Bytes of a torch ≥ 1.6 `pytorch_model.bin` (zip) holding `tensors`. */
export function torchZipBytes(tensors: Map<string, HelperTensor>, o: TorchWriteOptions = {}): Uint8Array {
  const { pickled, storages } = torchLayout(tensors, o)
  return torchZipFromParts(stateDictPickle(pickled, { beforeStop: o.beforeStop }), storages, o.prefix)
}

/** A torch zip around any pickle and storages (for hostile variants). */
export function torchZipFromParts(
  pickle: Uint8Array,
  storages: ReadonlyArray<readonly [string, Uint8Array]>,
  prefix = 'archive',
): Uint8Array {
  return concat(torchZipPieces(pickle, storages, prefix))
}

/** Writes a torch zip of `tensors` piece by piece (for files too large to assemble in memory). */
export function writeTorchZipFile(path: string, tensors: Map<string, HelperTensor>, o: TorchWriteOptions = {}): void {
  const { pickled, storages } = torchLayout(tensors, o)
  writeParts(path, torchZipPieces(stateDictPickle(pickled, { beforeStop: o.beforeStop }), storages, o.prefix))
}

/** Writes a safetensors file of fp32 `tensors` piece by piece. */
export function writeSafetensorsFile(path: string, tensors: Map<string, HelperTensor>): void {
  const entries = [...tensors].map(([name, t]) => ({
    name,
    dtype: 'F32',
    shape: t.shape,
    bytes: new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength),
  }))
  writeParts(path, safetensorsPieces(entries))
}

function writeParts(path: string, parts: readonly Uint8Array[]): void {
  const fd = openSync(path, 'w')
  try {
    for (const p of parts) writeSync(fd, p)
  } finally {
    closeSync(fd)
  }
}

function torchZipPieces(pickle: Uint8Array, storages: ReadonlyArray<readonly [string, Uint8Array]>, prefix = 'archive'): Uint8Array[] {
  const enc = new TextEncoder()
  return zipStoredParts([
    [`${prefix}/data.pkl`, pickle],
    [`${prefix}/byteorder`, enc.encode('little')],
    ...storages.map(([k, b]) => [`${prefix}/data/${k}`, b] as const),
    [`${prefix}/version`, enc.encode('3\n')],
  ])
}

/** Bytes of a legacy (pre-1.6) torch file: magic, protocol, sys info, state dict, keys, storages. */
export function torchLegacyBytes(tensors: Map<string, HelperTensor>, o: TorchWriteOptions = {}): Uint8Array {
  const { pickled, storages } = torchLayout(tensors, o)
  const magic = new PickleBuilder().proto(2).long1(0x1950a86a20f9469cfc6cn, 10).stop().bytes()
  const proto = new PickleBuilder().proto(2).int(1001).stop().bytes()
  const sys = new PickleBuilder()
    .proto(2)
    .emptyDict()
    .mark()
    .str('protocol_version')
    .int(1001)
    .str('little_endian')
    .bool(true)
    .setitems()
    .stop()
    .bytes()
  const sd = stateDictPickle(pickled, { legacy: true, beforeStop: o.beforeStop })
  const keys = new PickleBuilder().proto(2).emptyList().mark()
  for (const [k] of storages) keys.str(k)
  const keyList = keys.appends().stop().bytes()
  const data: Uint8Array[] = []
  for (const [k, b] of storages) {
    const st = pickled.find((p) => p.storageKey === k)!
    const n = new Uint8Array(8)
    new DataView(n.buffer).setBigInt64(0, BigInt(st.storageNumel), true)
    data.push(n, b)
  }
  return concat([magic, proto, sys, sd, keyList, ...data])
}

export interface SafetensorsEntry {
  name: string
  dtype: string
  shape: number[]
  bytes: Uint8Array
}

/** Bytes of a safetensors file (header padded to 8 bytes with spaces, as the library does). */
export function safetensorsBytes(entries: readonly SafetensorsEntry[], metadata?: Record<string, string>): Uint8Array {
  return concat(safetensorsPieces(entries, metadata))
}

function safetensorsPieces(entries: readonly SafetensorsEntry[], metadata?: Record<string, string>): Uint8Array[] {
  const header: Record<string, unknown> = {}
  if (metadata) header.__metadata__ = metadata
  let off = 0
  for (const e of entries) {
    header[e.name] = { dtype: e.dtype, shape: e.shape, data_offsets: [off, off + e.bytes.length] }
    off += e.bytes.length
  }
  let json = JSON.stringify(header)
  while ((8 + json.length) % 8 !== 0) json += ' '
  const h = new TextEncoder().encode(json)
  const len = new Uint8Array(8)
  new DataView(len.buffer).setBigUint64(0, BigInt(h.length), true)
  return [len, h, ...entries.map((e) => e.bytes)]
}

export function safetensorsFromTensors(tensors: Map<string, HelperTensor>, dtype: WriteDType = 'F32'): Uint8Array {
  return safetensorsBytes([...tensors].map(([name, t]) => ({ name, dtype, shape: t.shape, bytes: encode(t.data, dtype) })))
}

/** Writes config.json and the named weight files into `dir` (created). */
export function writeCheckpointDir(dir: string, config: unknown, files: Record<string, Uint8Array | string>): string {
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, 'config.json'), typeof config === 'string' ? config : JSON.stringify(config))
  for (const [name, bytes] of Object.entries(files)) writeFileSync(join(dir, name), bytes)
  return dir
}

export { SIZE as DTYPE_BYTES }
