/**
 * Writes pickle bytes opcode by opcode (protocol 2, the subset torch.save emits), so tests can
 * build valid state dicts and hostile ones without Python.
 */
export class PickleBuilder {
  private readonly parts: number[] = []

  bytes(): Uint8Array {
    return Uint8Array.from(this.parts)
  }

  raw(...bytes: number[]): this {
    this.parts.push(...bytes)
    return this
  }

  private u32(n: number): void {
    this.parts.push(n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff)
  }

  proto(v = 2): this {
    return this.raw(0x80, v)
  }
  stop(): this {
    return this.raw(0x2e)
  }
  mark(): this {
    return this.raw(0x28)
  }
  global(module: string, name: string): this {
    this.raw(0x63)
    this.parts.push(...new TextEncoder().encode(`${module}\n${name}\n`))
    return this
  }
  str(s: string): this {
    const b = new TextEncoder().encode(s)
    this.raw(0x58)
    this.u32(b.length)
    this.parts.push(...b)
    return this
  }
  int(n: number): this {
    if (n >= 0 && n < 256) return this.raw(0x4b, n)
    if (n >= 0 && n < 65536) return this.raw(0x4d, n & 0xff, n >> 8)
    this.raw(0x4a)
    this.u32(n >>> 0)
    return this
  }
  long1(v: bigint, nbytes: number): this {
    this.raw(0x8a, nbytes)
    for (let i = 0; i < nbytes; i++) this.parts.push(Number((v >> BigInt(8 * i)) & 0xffn))
    return this
  }
  none(): this {
    return this.raw(0x4e)
  }
  bool(b: boolean): this {
    return this.raw(b ? 0x88 : 0x89)
  }
  emptyTuple(): this {
    return this.raw(0x29)
  }
  tuple(): this {
    return this.raw(0x74)
  }
  /** MARK, the items, TUPLE (any length). */
  intTuple(items: readonly number[]): this {
    if (items.length === 0) return this.emptyTuple()
    this.mark()
    for (const x of items) this.int(x)
    return this.tuple()
  }
  reduce(): this {
    return this.raw(0x52)
  }
  binpersid(): this {
    return this.raw(0x51)
  }
  emptyDict(): this {
    return this.raw(0x7d)
  }
  emptyList(): this {
    return this.raw(0x5d)
  }
  appends(): this {
    return this.raw(0x65)
  }
  setitems(): this {
    return this.raw(0x75)
  }
  binput(i: number): this {
    return this.raw(0x71, i)
  }
  binget(i: number): this {
    return this.raw(0x68, i)
  }
}

export type TorchStorageName = 'FloatStorage' | 'HalfStorage' | 'BFloat16Storage' | 'BoolStorage' | 'LongStorage' | 'DoubleStorage'

export interface PickledTensor {
  name: string
  storageType: TorchStorageName
  storageKey: string
  storageNumel: number
  offset: number
  shape: number[]
  stride?: number[]
  parameter?: boolean // wrap in torch._utils._rebuild_parameter
}

export function contiguousStrides(shape: readonly number[]): number[] {
  const st: number[] = []
  let acc = 1
  for (let i = shape.length - 1; i >= 0; i--) {
    st[i] = acc
    acc *= shape[i]
  }
  return st
}

/**
 * The pickle torch.save writes for an OrderedDict state dict:
 * OrderedDict() then MARK (key, _rebuild_tensor_v2((persistent storage id), offset, size,
 * stride, False, OrderedDict()))… SETITEMS STOP. `legacy` adds the sixth persistent-id field.
 */
export function stateDictPickle(
  tensors: readonly PickledTensor[],
  opts: { legacy?: boolean; beforeStop?: (p: PickleBuilder) => void } = {},
): Uint8Array {
  const p = new PickleBuilder().proto(2).global('collections', 'OrderedDict').binput(0).emptyTuple().reduce().mark()
  for (const t of tensors) {
    p.str(t.name)
    if (t.parameter) p.global('torch._utils', '_rebuild_parameter')
    p.global('torch._utils', '_rebuild_tensor_v2').mark()
    p.mark().str('storage').global('torch', t.storageType).str(t.storageKey).str('cpu').int(t.storageNumel)
    if (opts.legacy) p.none()
    p.tuple().binpersid()
    p.int(t.offset)
      .intTuple(t.shape)
      .intTuple(t.stride ?? contiguousStrides(t.shape))
      .bool(false)
    p.binget(0).emptyTuple().reduce().tuple().reduce()
    // _rebuild_parameter(tensor, True, OrderedDict()): TUPLE3, REDUCE
    if (t.parameter) p.bool(true).binget(0).emptyTuple().reduce().raw(0x87).reduce()
  }
  p.setitems()
  opts.beforeStop?.(p)
  return p.stop().bytes()
}
