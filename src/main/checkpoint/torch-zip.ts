import { WorkbenchError } from '../../shared/errors'
import { DTYPE_SIZE } from './raw-tensor'
import type { RawTensor } from './raw-tensor'
import { readTorchPickle } from './torch-pickle'
import { torchRawTensors } from './torch-tensors'
import { readZipDirectory, storedEntryView, zipEntryBytes, type ZipEntry } from './zip-archive'

/**
 * Reads a torch ≥ 1.6 checkpoint (a zip holding `<prefix>/data.pkl` and the raw storages as
 * `<prefix>/data/<key>`; the prefix is any single folder name). Every entry of the archive,
 * used or not, must match its CRC-32 (`checkpoint-corrupt` names the file and the entry).
 * `defer` picks stored entries whose CRC the caller checks itself (they are listed in `deferred`
 * and returned unread, as views of `data`): the streaming conversion reads only the archive's
 * directory and pickle into memory.
 */
export function readTorchZip(
  data: Uint8Array,
  file: string,
  options: { defer?: (entry: ZipEntry) => boolean; deferred?: ZipEntry[] } = {},
): RawTensor[] {
  const entries = readZipDirectory(data, file)
  const pickles = [...entries.keys()].filter((n) => /^[^/]+\/data\.pkl$/.test(n))
  if (pickles.length !== 1) {
    throw new WorkbenchError('checkpoint-format', `${file}: expected exactly one <folder>/data.pkl in the archive, found ${pickles.length}`)
  }
  const prefix = pickles[0].slice(0, -'data.pkl'.length)
  const budget = { left: Math.max(data.length, 1 << 20) }
  const checked = new Set<ZipEntry>()
  const entryBytes = (entry: ZipEntry): Uint8Array => {
    checked.add(entry)
    if (options.defer?.(entry)) {
      options.deferred?.push(entry)
      return storedEntryView(data, entry, file)
    }
    return zipEntryBytes(data, entry, file, budget)
  }
  const byteorder = entries.get(`${prefix}byteorder`)
  if (byteorder) {
    const order = new TextDecoder().decode(entryBytes(byteorder)).trim()
    if (order !== 'little') {
      throw new WorkbenchError(
        'checkpoint-format',
        `${file}: byte order "${order.slice(0, 20)}" is not supported (only little-endian checkpoints)`,
      )
    }
  }
  const pkl = entryBytes(entries.get(pickles[0])!)
  const { entries: tensors, end } = readTorchPickle(pkl, `${file}:${pickles[0]}`)
  if (end !== pkl.length) throw new WorkbenchError('checkpoint-format', `${file}: ${pkl.length - end} bytes after the pickle's STOP`)
  const raw = torchRawTensors(
    tensors,
    (s) => {
      const entry = entries.get(`${prefix}data/${s.key}`)
      if (!entry)
        throw new WorkbenchError(
          'checkpoint-format',
          `${file}: storage ${s.key} is referenced by the pickle but ${prefix}data/${s.key} is not in the archive`,
        )
      const want = s.numel * DTYPE_SIZE[s.dtype]
      if (entry.uncompressedSize !== want) {
        throw new WorkbenchError(
          'checkpoint-format',
          `${file}: storage ${s.key} declares ${s.numel} × ${DTYPE_SIZE[s.dtype]} bytes = ${want}, but its archive entry holds ${entry.uncompressedSize}`,
        )
      }
      return entryBytes(entry)
    },
    file,
  )
  for (const entry of entries.values()) if (!checked.has(entry)) entryBytes(entry) // the CRC of the rest
  return raw
}
