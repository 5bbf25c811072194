import { WorkbenchError } from '../../shared/errors'
import { PyDict, unpickle } from './pickle-machine'
import { DTYPE_SIZE } from './raw-tensor'
import type { RawTensor } from './raw-tensor'
import { readTorchPickle } from './torch-pickle'
import { torchRawTensors } from './torch-tensors'

/**
 * Reads the legacy (torch < 1.6, or `_use_new_zipfile_serialization=False`) format: five
 * pickles in a row — magic number, protocol version 1001, sys info, the state dict, the list of
 * storage keys — followed by each storage as an int64 element count and its raw bytes.
 */

const MAGIC = 0x1950a86a20f9469cfc6cn

export function isLegacyTorch(data: Uint8Array): boolean {
  // PROTO 2, LONG1 of 10 bytes: the magic number's pickle
  return data.length >= 4 && data[0] === 0x80 && data[1] === 0x02 && data[2] === 0x8a && data[3] === 0x0a
}

export function readTorchLegacy(data: Uint8Array, file: string): RawTensor[] {
  const fail = (msg: string): never => {
    throw new WorkbenchError('checkpoint-format', `${file}: not a valid legacy torch file: ${msg}`)
  }
  const noGlobals = {
    findGlobal(module: string, name: string): never {
      throw new WorkbenchError(
        'checkpoint-forbidden',
        `${file}: the pickle header asks for the global ${module}.${name}; refused without executing anything`,
      )
    },
    where: file,
  }
  const magic = unpickle(data, noGlobals, 0)
  if (magic.value !== MAGIC) fail('wrong magic number')
  const proto = unpickle(data, noGlobals, magic.end)
  if (proto.value !== 1001) fail(`protocol version ${String(proto.value)} (only 1001)`)
  const sysInfo = unpickle(data, noGlobals, proto.end)
  if (!(sysInfo.value instanceof PyDict)) fail('sys info is not a dict')
  if ((sysInfo.value as PyDict).map.get('little_endian') !== true) fail('only little-endian files are supported')
  const sd = readTorchPickle(data, file, sysInfo.end)
  const keysPickle = unpickle(data, noGlobals, sd.end)
  const keys = keysPickle.value
  if (!Array.isArray(keys) || !keys.every((k) => typeof k === 'string')) fail('storage key list is not a list of strings')
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength)
  const bytesByKey = new Map<string, Uint8Array>()
  let pos = keysPickle.end
  for (const key of keys as string[]) {
    const s = sd.storages.get(key)
    if (!s) fail(`storage ${key} is in the data section but no tensor uses it`)
    if (bytesByKey.has(key)) fail(`storage ${key} is listed twice`)
    if (pos + 8 > data.length) fail(`truncated before storage ${key}`)
    const numel = view.getBigInt64(pos, true)
    pos += 8
    if (numel !== BigInt(s!.numel)) fail(`storage ${key} holds ${numel} elements but the pickle declares ${s!.numel}`)
    const n = s!.numel * DTYPE_SIZE[s!.dtype]
    if (pos + n > data.length) fail(`storage ${key} needs ${n} bytes at ${pos} but the file has ${data.length}`)
    bytesByKey.set(key, data.subarray(pos, pos + n))
    pos += n
  }
  if (pos !== data.length) fail(`${data.length - pos} unexpected bytes after the last storage`)
  return torchRawTensors(
    sd.entries,
    (s) => bytesByKey.get(s.key) ?? fail(`storage ${s.key} is used by a tensor but missing from the data section`),
    file,
  )
}
