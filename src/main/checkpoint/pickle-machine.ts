import { WorkbenchError } from '../../shared/errors'

/**
 * A restricted pickle interpreter (protocols 0–4, the opcodes torch.save emits and their close
 * relatives). It executes nothing: GLOBAL asks the caller's `findGlobal`, which returns a JS
 * stand-in for an allowed name or throws `checkpoint-forbidden`; REDUCE calls only those
 * stand-ins. Every length is checked against the bytes left before anything is allocated, and
 * every opcode consumes at least one byte, so a malformed pickle ends in a typed error.
 */

export class PyTuple {
  constructor(readonly items: readonly PickleValue[]) {}
}

/** A Python dict (insertion-ordered, like OrderedDict); `state` holds a BUILD argument. */
export class PyDict {
  readonly map = new Map<PickleKey, PickleValue>()
  state: PickleValue = null
}

/** A callable stand-in for an allowlisted global. */
export class PyCallable {
  constructor(
    readonly qualifiedName: string,
    readonly call: (args: readonly PickleValue[]) => PickleValue,
  ) {}
}

/** An opaque allowlisted global that is not called (e.g. torch.FloatStorage as a type tag). */
export class PyGlobalTag {
  constructor(readonly qualifiedName: string) {}
}

/** Anything a caller's callable returns (tensors, storages) travels as an opaque object. */
export interface PyOpaque {
  readonly pyKind: string
}

export type PickleKey = string | number | bigint | boolean | null | PyTuple
export type PickleValue = PickleKey | Uint8Array | PickleValue[] | PyDict | PyCallable | PyGlobalTag | PyOpaque

export interface UnpickleOptions {
  /** Returns the stand-in for `module.name` or throws `checkpoint-forbidden`. */
  findGlobal: (module: string, name: string) => PickleValue
  /** Resolves a persistent id (torch storages). Without it, persistent ids are malformed input. */
  persistentLoad?: (pid: PickleValue) => PickleValue
  where: string
}

const MARK = Symbol('mark')
type StackItem = PickleValue | typeof MARK

const MAX_MEMO = 1 << 22
const MAX_STACK = 1 << 22

export interface UnpickleResult {
  value: PickleValue
  /** Offset just past the STOP opcode (legacy torch files hold several pickles in a row). */
  end: number
}

function isKey(v: StackItem): v is PickleKey {
  return v === null || v instanceof PyTuple || ['string', 'number', 'bigint', 'boolean'].includes(typeof v)
}

function decodeLong(b: Uint8Array): number | bigint {
  if (b.length === 0) return 0
  let v = 0n
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i])
  if (b[b.length - 1] & 0x80) v -= 1n << BigInt(8 * b.length)
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v
}

/** Runs the pickle that starts at `start` in `data` up to its STOP opcode. */
export function unpickle(data: Uint8Array, options: UnpickleOptions, start = 0): UnpickleResult {
  const { where } = options
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength)
  const utf8 = new TextDecoder('utf-8', { fatal: true })
  const latin1 = new TextDecoder('latin1')
  let pos = start
  const stack: StackItem[] = []
  const memo = new Map<number, PickleValue>()

  const fail = (msg: string): never => {
    throw new WorkbenchError('checkpoint-format', `${where}: malformed pickle at byte ${pos}: ${msg}`)
  }
  const need = (n: number): void => {
    if (!Number.isSafeInteger(n) || n < 0 || pos + n > data.length) {
      fail(`needs ${n} bytes but only ${data.length - pos} remain`)
    }
  }
  const take = (n: number): Uint8Array => {
    need(n)
    const out = data.subarray(pos, pos + n)
    pos += n
    return out
  }
  const u8 = (): number => {
    need(1)
    return data[pos++]
  }
  const u16 = (): number => {
    need(2)
    const v = view.getUint16(pos, true)
    pos += 2
    return v
  }
  const u32 = (): number => {
    need(4)
    const v = view.getUint32(pos, true)
    pos += 4
    return v
  }
  const u64 = (): number => {
    need(8)
    const v = view.getBigUint64(pos, true)
    pos += 8
    if (v > BigInt(data.length)) fail(`length ${v} exceeds the pickle size`)
    return Number(v)
  }
  const line = (): string => {
    const nl = data.indexOf(0x0a, pos)
    if (nl < 0 || nl - pos > 4096) fail('unterminated text argument')
    const s = latin1.decode(data.subarray(pos, nl))
    pos = nl + 1
    return s
  }
  const text = (n: number): string => {
    const bytes = take(n)
    try {
      return utf8.decode(bytes)
    } catch {
      return fail('string is not valid UTF-8')
    }
  }
  const push = (v: StackItem): void => {
    if (stack.length >= MAX_STACK) fail('stack too deep')
    stack.push(v)
  }
  const pop = (): PickleValue => {
    const v = stack.pop()
    if (v === undefined) fail('stack underflow')
    if (v === MARK) fail('unexpected MARK')
    return v as PickleValue
  }
  const top = (): PickleValue => {
    const v = stack[stack.length - 1]
    if (v === undefined || v === MARK) fail('stack underflow')
    return v as PickleValue
  }
  const popMark = (): PickleValue[] => {
    const i = stack.lastIndexOf(MARK)
    if (i < 0) fail('no MARK on the stack')
    const items = stack.splice(i) as PickleValue[]
    items.shift()
    return items
  }
  const put = (idx: number): void => {
    if (memo.size >= MAX_MEMO && !memo.has(idx)) fail('memo too large')
    memo.set(idx, top())
  }
  const get = (idx: number): void => {
    if (!memo.has(idx)) fail(`memo key ${idx} was never stored`)
    push(memo.get(idx) as PickleValue)
  }
  const setItems = (dict: PickleValue, kv: PickleValue[]): void => {
    if (!(dict instanceof PyDict)) fail('SETITEM(S) target is not a dict')
    if (kv.length % 2 !== 0) fail('SETITEMS needs key/value pairs')
    for (let i = 0; i < kv.length; i += 2) {
      const k = kv[i]
      if (!isKey(k)) fail('dict key is not hashable')
      ;(dict as PyDict).map.set(k as PickleKey, kv[i + 1])
    }
  }
  const global = (module: string, name: string): void => {
    if (!/^[\w.]+$/.test(module) || !/^[\w.]+$/.test(name)) fail(`invalid global name ${JSON.stringify(`${module}.${name}`)}`)
    push(options.findGlobal(module, name))
  }
  const persistent = (pid: PickleValue): void => {
    if (!options.persistentLoad) fail('persistent id in a pickle that allows none')
    push((options.persistentLoad as (p: PickleValue) => PickleValue)(pid))
  }

  for (;;) {
    const opPos = pos
    const op = u8()
    switch (op) {
      case 0x80: {
        const proto = u8() // PROTO
        if (proto > 5) fail(`unsupported protocol ${proto}`)
        break
      }
      case 0x95: // FRAME: a length hint, frames are read inline
        u64()
        break
      case 0x2e: // STOP
        if (stack.length !== 1) fail(`STOP with ${stack.length} items on the stack`)
        return { value: pop(), end: pos }
      case 0x28: // MARK
        push(MARK)
        break
      case 0x30: // POP
        if (stack.pop() === undefined) fail('stack underflow')
        break
      case 0x31: // POP_MARK
        popMark()
        break
      case 0x32: // DUP
        push(top())
        break
      case 0x4e: // NONE
        push(null)
        break
      case 0x88: // NEWTRUE
        push(true)
        break
      case 0x89: // NEWFALSE
        push(false)
        break
      case 0x4a: // BININT
        need(4)
        push(view.getInt32(pos, true))
        pos += 4
        break
      case 0x4b: // BININT1
        push(u8())
        break
      case 0x4d: // BININT2
        push(u16())
        break
      case 0x8a: // LONG1
        push(decodeLong(take(u8())))
        break
      case 0x8b: {
        // LONG4
        const n = u32()
        if (n > 64) fail(`LONG4 of ${n} bytes`)
        push(decodeLong(take(n)))
        break
      }
      case 0x49: {
        // INT (text): also encodes True/False as 01/00
        const s = line()
        if (s === '01') push(true)
        else if (s === '00') push(false)
        else if (/^-?\d{1,15}$/.test(s)) push(Number(s))
        else fail(`INT argument ${JSON.stringify(s)}`)
        break
      }
      case 0x4c: {
        // LONG (text)
        const s = line().replace(/L$/, '')
        if (!/^-?\d{1,40}$/.test(s)) fail(`LONG argument ${JSON.stringify(s)}`)
        const b = BigInt(s)
        push(b >= BigInt(Number.MIN_SAFE_INTEGER) && b <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : b)
        break
      }
      case 0x47: // BINFLOAT (big-endian)
        need(8)
        push(view.getFloat64(pos, false))
        pos += 8
        break
      case 0x58: // BINUNICODE
        push(text(u32()))
        break
      case 0x8c: // SHORT_BINUNICODE
        push(text(u8()))
        break
      case 0x8d: // BINUNICODE8
        push(text(u64()))
        break
      case 0x54: // BINSTRING (py2 str): latin-1
        push(latin1.decode(take(u32())))
        break
      case 0x55: // SHORT_BINSTRING
        push(latin1.decode(take(u8())))
        break
      case 0x42: // BINBYTES
        push(take(u32()))
        break
      case 0x43: // SHORT_BINBYTES
        push(take(u8()))
        break
      case 0x29: // EMPTY_TUPLE
        push(new PyTuple([]))
        break
      case 0x74: // TUPLE
        push(new PyTuple(popMark()))
        break
      case 0x85: // TUPLE1
        push(new PyTuple([pop()]))
        break
      case 0x86: {
        // TUPLE2
        const b = pop()
        push(new PyTuple([pop(), b]))
        break
      }
      case 0x87: {
        // TUPLE3
        const c = pop()
        const b = pop()
        push(new PyTuple([pop(), b, c]))
        break
      }
      case 0x5d: // EMPTY_LIST
        push([])
        break
      case 0x6c: // LIST
        push(popMark())
        break
      case 0x61: {
        // APPEND
        const v = pop()
        const list = top()
        if (!Array.isArray(list)) fail('APPEND target is not a list')
        ;(list as PickleValue[]).push(v)
        break
      }
      case 0x65: {
        // APPENDS
        const items = popMark()
        const list = top()
        if (!Array.isArray(list)) fail('APPENDS target is not a list')
        for (const v of items) (list as PickleValue[]).push(v)
        break
      }
      case 0x7d: // EMPTY_DICT
        push(new PyDict())
        break
      case 0x64: {
        // DICT
        const d = new PyDict()
        setItems(d, popMark())
        push(d)
        break
      }
      case 0x73: {
        // SETITEM
        const v = pop()
        const k = pop()
        setItems(top(), [k, v])
        break
      }
      case 0x75: {
        // SETITEMS
        const kv = popMark()
        setItems(top(), kv)
        break
      }
      case 0x63: {
        // GLOBAL "module\nname\n"
        const module = line()
        global(module, line())
        break
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop()
        const module = pop()
        if (typeof module !== 'string' || typeof name !== 'string') fail('STACK_GLOBAL needs two strings')
        global(module as string, name as string)
        break
      }
      case 0x69: {
        // INST "module\nname\n": names a global like GLOBAL does, so it is checked the same way
        // first; torch never instantiates classes this way, so even an allowed one is refused
        const module = line()
        global(module, line())
        fail(`INST of ${module} is not used by torch state dicts`)
        break
      }
      case 0x52: {
        // REDUCE
        const args = pop()
        const fn = pop()
        if (!(fn instanceof PyCallable)) fail('REDUCE on something that is not an allowed callable')
        if (!(args instanceof PyTuple)) fail('REDUCE arguments are not a tuple')
        push((fn as PyCallable).call((args as PyTuple).items))
        break
      }
      case 0x62: {
        // BUILD: only a dict's state is accepted (OrderedDict._metadata); it is kept, never applied
        const state = pop()
        const target = top()
        if (!(target instanceof PyDict)) fail('BUILD on an object that is not a dict')
        ;(target as PyDict).state = state
        break
      }
      case 0x71: // BINPUT
        put(u8())
        break
      case 0x72: // LONG_BINPUT
        put(u32())
        break
      case 0x70: {
        // PUT (text)
        const s = line()
        if (!/^\d{1,9}$/.test(s)) fail(`PUT argument ${JSON.stringify(s)}`)
        put(Number(s))
        break
      }
      case 0x94: // MEMOIZE
        put(memo.size)
        break
      case 0x68: // BINGET
        get(u8())
        break
      case 0x6a: // LONG_BINGET
        get(u32())
        break
      case 0x67: {
        // GET (text)
        const s = line()
        if (!/^\d{1,9}$/.test(s)) fail(`GET argument ${JSON.stringify(s)}`)
        get(Number(s))
        break
      }
      case 0x51: // BINPERSID
        persistent(pop())
        break
      case 0x50: // PERSID (text)
        persistent(line())
        break
      default:
        pos = opPos
        fail(`unsupported or invalid opcode 0x${op.toString(16).padStart(2, '0')}`)
    }
  }
}
