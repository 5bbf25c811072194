import { WorkbenchError } from '../../shared/errors'
import { DTYPE_SIZE, numelOf } from './raw-tensor'
import type { RawTensor } from './raw-tensor'
import type { StorageRef, TensorRef } from './torch-pickle'

/**
 * Turns the tensor references of a torch pickle into RawTensors, given a function that returns
 * each storage's bytes (already checked to be exactly numel·element-size long). Only contiguous
 * tensors are accepted; a storage is fetched once however many tensors share it.
 */
export function torchRawTensors(entries: Map<string, TensorRef>, storageBytes: (s: StorageRef) => Uint8Array, file: string): RawTensor[] {
  const cache = new Map<StorageRef, Uint8Array>()
  const out: RawTensor[] = []
  for (const [name, t] of entries) {
    const where = `${file}: tensor ${name}`
    const numel = numelOf(t.shape, where)
    let expected = 1
    for (let i = t.shape.length - 1; i >= 0; i--) {
      if (t.shape[i] !== 1 && t.stride[i] !== expected) {
        throw new WorkbenchError(
          'checkpoint-format',
          `${where} has strides [${t.stride.join(', ')}] for shape [${t.shape.join(', ')}]; only contiguous tensors are supported (expected strides [${contiguousStrides(t.shape).join(', ')}])`,
        )
      }
      expected *= t.shape[i]
    }
    const s = t.storage
    if (t.offset + numel > s.numel) {
      throw new WorkbenchError(
        'checkpoint-format',
        `${where}: elements [${t.offset}, ${t.offset + numel}) lie outside its storage of ${s.numel} elements`,
      )
    }
    let bytes = cache.get(s)
    if (bytes === undefined) {
      bytes = storageBytes(s)
      cache.set(s, bytes)
    }
    const size = DTYPE_SIZE[s.dtype]
    out.push({
      name,
      dtype: s.dtype,
      shape: t.shape,
      bytes: bytes.subarray(t.offset * size, (t.offset + numel) * size),
      identity: `${file}#${s.key}@${t.offset}:${t.shape.join('x')}`,
      file,
    })
  }
  return out
}

function contiguousStrides(shape: number[]): number[] {
  const st = new Array<number>(shape.length)
  let acc = 1
  for (let i = shape.length - 1; i >= 0; i--) {
    st[i] = acc
    acc *= shape[i]
  }
  return st
}
