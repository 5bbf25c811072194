import { WorkbenchError } from '../../shared/errors'
import { DTYPE_SIZE } from './raw-tensor'
import type { RawTensor } from './raw-tensor'
import { readTorchPickle } from './torch-pickle'
import { torchRawTensors } from './torch-tensors'
import { readZipDirectory, zipEntryBytes } from './zip-archive'

/**
 * Reads a torch ≥ 1.6 checkpoint (a zip holding `<prefix>/data.pkl` and the raw storages as
 * `<prefix>/data/<key>`; the prefix is any single folder name).
 */
export function readTorchZip(data: Uint8Array, file: string): RawTensor[] {
  const entries = readZipDirectory(data, file)
  const pickles = [...entries.keys()].filter((n) => /^[^/]+\/data\.pkl$/.test(n))
  if (pickles.length !== 1) {
    throw new WorkbenchError('checkpoint-format', `${file}: expected exactly one <folder>/data.pkl in the archive, found ${pickles.length}`)
  }
  const prefix = pickles[0].slice(0, -'data.pkl'.length)
  const budget = { left: Math.max(data.length, 1 << 20) }
  const byteorder = entries.get(`${prefix}byteorder`)
  if (byteorder) {
    const order = new TextDecoder().decode(zipEntryBytes(data, byteorder, file, budget)).trim()
    if (order !== 'little') {
      throw new WorkbenchError('checkpoint-format', `${file}: byte order "${order.slice(0, 20)}" is not supported (only little-endian checkpoints)`)
    }
  }
  const pkl = zipEntryBytes(data, entries.get(pickles[0])!, file, budget)
  const { entries: tensors, end } = readTorchPickle(pkl, `${file}:${pickles[0]}`)
  if (end !== pkl.length) throw new WorkbenchError('checkpoint-format', `${file}: ${pkl.length - end} bytes after the pickle's STOP`)
  return torchRawTensors(
    tensors,
    (s) => {
      const entry = entries.get(`${prefix}data/${s.key}`)
      if (!entry) throw new WorkbenchError('checkpoint-format', `${file}: storage ${s.key} is referenced by the pickle but ${prefix}data/${s.key} is not in the archive`)
      const want = s.numel * DTYPE_SIZE[s.dtype]
      if (entry.uncompressedSize !== want) {
        throw new WorkbenchError(
          'checkpoint-format',
          `${file}: storage ${s.key} declares ${s.numel} × ${DTYPE_SIZE[s.dtype]} bytes = ${want}, but its archive entry holds ${entry.uncompressedSize}`,
        )
      }
      return zipEntryBytes(data, entry, file, budget)
    },
    file,
  )
}
