import { WorkbenchError } from '../../shared/errors'
import { PyCallable, PyDict, PyGlobalTag, PyTuple, unpickle } from './pickle-machine'
import type { PickleValue, PyOpaque } from './pickle-machine'
import type { DType } from './raw-tensor'

/**
 * Reads the pickle of a torch state dict with an allowlist of exactly the globals a state dict
 * needs. Storages and tensors come back as references (key, dtype, offset, shape, stride); their
 * bytes are located by the format reader (zip entries or the legacy file's storage section).
 */

const STORAGE_DTYPES: Record<string, DType> = {
  FloatStorage: 'F32',
  HalfStorage: 'F16',
  BFloat16Storage: 'BF16',
  DoubleStorage: 'F64',
  LongStorage: 'I64',
  IntStorage: 'I32',
  ShortStorage: 'I16',
  CharStorage: 'I8',
  ByteStorage: 'U8',
  BoolStorage: 'BOOL',
}

export interface StorageRef extends PyOpaque {
  readonly pyKind: 'storage'
  key: string
  dtype: DType
  numel: number
}

export interface TensorRef extends PyOpaque {
  readonly pyKind: 'tensor'
  storage: StorageRef
  offset: number // in elements
  shape: number[]
  stride: number[]
}

class StorageTypeTag extends PyGlobalTag {
  constructor(
    qualifiedName: string,
    readonly dtype: DType,
  ) {
    super(qualifiedName)
  }
}

function isTensor(v: PickleValue): v is TensorRef {
  return typeof v === 'object' && v !== null && 'pyKind' in v && v.pyKind === 'tensor'
}

function isStorage(v: PickleValue): v is StorageRef {
  return typeof v === 'object' && v !== null && 'pyKind' in v && v.pyKind === 'storage'
}

function intList(v: PickleValue, what: string, where: string): number[] {
  if (!(v instanceof PyTuple) && !Array.isArray(v)) throw formatError(where, `${what} is not a tuple`)
  const items = v instanceof PyTuple ? v.items : v
  if (items.length > 8) throw formatError(where, `${what} has ${items.length} dimensions (at most 8)`)
  return items.map((x) => {
    if (typeof x !== 'number' || !Number.isSafeInteger(x) || x < 0) throw formatError(where, `${what} ${describe(v)} holds a non-integer`)
    return x
  })
}

/**
 * A short rendering of a pickled value for error messages. Bounded in depth and width: a
 * malformed pickle can nest tuples 10⁵ deep (one TUPLE1 byte each), which must not overflow
 * the stack while the error is being written.
 */
function describe(v: PickleValue, depth = 0): string {
  if (v instanceof PyTuple) {
    if (depth >= 3) return '(…)'
    const shown = v.items.slice(0, 8).map((x) => describe(x, depth + 1))
    return `(${shown.join(', ')}${v.items.length > 8 ? ', …' : ''})`
  }
  if (typeof v === 'bigint') return v.toString()
  if (typeof v === 'object' && v !== null) return v.constructor.name
  const text = JSON.stringify(v)
  return text.length > 80 ? `${text.slice(0, 77)}…` : text
}

function formatError(where: string, msg: string): WorkbenchError {
  return new WorkbenchError('checkpoint-format', `${where}: ${msg}`)
}

function makeCallables(where: string): Map<string, PickleValue> {
  const m = new Map<string, PickleValue>()
  m.set(
    'collections.OrderedDict',
    new PyCallable('collections.OrderedDict', (args) => {
      if (args.length !== 0) throw formatError(where, 'OrderedDict called with arguments')
      return new PyDict()
    }),
  )
  const rebuild = (args: readonly PickleValue[]): PickleValue => {
    // _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
    if (args.length < 4 || args.length > 7) throw formatError(where, `_rebuild_tensor_v2 called with ${args.length} arguments`)
    const [storage, offset] = args
    if (!isStorage(storage)) throw formatError(where, '_rebuild_tensor_v2: first argument is not a storage')
    if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0)
      throw formatError(where, '_rebuild_tensor_v2: bad storage offset')
    const shape = intList(args[2], 'size', where)
    const stride = intList(args[3], 'stride', where)
    if (stride.length !== shape.length)
      throw formatError(where, `size ${describe(args[2])} and stride ${describe(args[3])} differ in length`)
    const t: TensorRef = { pyKind: 'tensor', storage, offset, shape, stride }
    return t
  }
  m.set('torch._utils._rebuild_tensor_v2', new PyCallable('torch._utils._rebuild_tensor_v2', rebuild))
  m.set(
    'torch._utils._rebuild_parameter',
    new PyCallable('torch._utils._rebuild_parameter', (args) => {
      if (args.length !== 3 || !isTensor(args[0])) throw formatError(where, '_rebuild_parameter: expected (tensor, requires_grad, hooks)')
      return args[0]
    }),
  )
  for (const [name, dtype] of Object.entries(STORAGE_DTYPES)) {
    m.set(`torch.${name}`, new StorageTypeTag(`torch.${name}`, dtype))
  }
  return m
}

/** The allowlisted globals, for messages and tests. */
export const ALLOWED_GLOBALS: readonly string[] = [...makeCallables('').keys()]

export interface TorchPickle {
  entries: Map<string, TensorRef> // state-dict key → tensor, in file order
  storages: Map<string, StorageRef>
}

/** Unpickles a torch state dict (zip or legacy persistent-id layout) starting at `start`. */
export function readTorchPickle(data: Uint8Array, where: string, start = 0): TorchPickle & { end: number } {
  const globals = makeCallables(where)
  const storages = new Map<string, StorageRef>()
  const { value, end } = unpickle(
    data,
    {
      where,
      findGlobal(module, name) {
        const g = globals.get(`${module}.${name}`)
        if (g === undefined) {
          throw new WorkbenchError(
            'checkpoint-forbidden',
            `${where}: the pickle asks for the global ${module}.${name}, which a state dict never needs; refused without executing anything (allowed: ${ALLOWED_GLOBALS.join(', ')})`,
          )
        }
        return g
      },
      persistentLoad(pid) {
        return loadStorage(pid, storages, where)
      },
    },
    start,
  )
  if (!(value instanceof PyDict)) throw formatError(where, 'the pickle is not a state dict (a dict of tensors)')
  const entries = new Map<string, TensorRef>()
  for (const [k, v] of value.map) {
    if (typeof k !== 'string') throw formatError(where, `state-dict key ${describe(k)} is not a string`)
    if (!isTensor(v)) throw formatError(where, `state-dict entry ${k} is not a tensor (${describe(v)})`)
    entries.set(k, v)
  }
  return { entries, storages, end }
}

function loadStorage(pid: PickleValue, storages: Map<string, StorageRef>, where: string): StorageRef {
  // zip: ('storage', StorageType, key, location, numel)
  // legacy: ('storage', StorageType, root_key, location, numel, view_metadata | None)
  if (!(pid instanceof PyTuple) || pid.items[0] !== 'storage' || (pid.items.length !== 5 && pid.items.length !== 6)) {
    throw formatError(where, `unexpected persistent id ${describe(pid)}`)
  }
  const [, type, key, location, numel, viewMeta] = pid.items
  if (!(type instanceof StorageTypeTag)) throw formatError(where, `persistent id names ${describe(type)}, not a storage type`)
  if (typeof key !== 'string' || key.length === 0 || key.length > 64) throw formatError(where, `storage key ${describe(key)} is invalid`)
  if (typeof location !== 'string') throw formatError(where, `storage location ${describe(location)} is not a string`)
  if (typeof numel !== 'number' || !Number.isSafeInteger(numel) || numel < 0)
    throw formatError(where, `storage ${key} has size ${describe(numel)}`)
  if (viewMeta !== undefined && viewMeta !== null) {
    throw formatError(
      where,
      `storage ${key} is a storage view (written by torch < 1.0); such files are not supported, re-save with a current torch`,
    )
  }
  const id = key
  const existing = storages.get(id)
  if (existing) {
    if (existing.dtype !== type.dtype || existing.numel !== numel) {
      throw formatError(where, `storage ${key} is declared twice with different types or sizes`)
    }
    return existing
  }
  const s: StorageRef = { pyKind: 'storage', key, dtype: type.dtype, numel }
  storages.set(id, s)
  return s
}
