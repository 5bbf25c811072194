import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { WorkbenchError } from '../../shared/errors'
import type { BackpackConfig } from '../../shared/model/config'
import { readNpy, type NpyArray } from '../npy/npy'

/** PyTorch outputs a checkpoint may ship in `reference/` (tools/reference/run_reference.py --out DIR/reference). */
export interface StoredReference {
  dir: string
  ids: number[]
  logits: NpyArray // (pos, vocab)
  senses: NpyArray // (sense, pos, d_model)
  contextualization: NpyArray // (sense, pos, pos)
  readMs: number
}

const FILES = ['ids.json', 'logits.npy', 'senses.npy', 'contextualization.npy']

/**
 * Reads `<checkpoint>/reference/` when the checkpoint ships one: null when none of its files is
 * there; `checkpoint-format` when only some are or ids.json is malformed; `checkpoint-shape` when
 * a tensor's shape does not fit the ids and the model.
 */
export function readStoredReference(checkpointDir: string, config: BackpackConfig): StoredReference | null {
  const started = performance.now()
  const dir = join(checkpointDir, 'reference')
  const missing = FILES.filter((f) => !existsSync(join(dir, f)))
  if (missing.length === FILES.length) return null
  if (missing.length > 0)
    throw new WorkbenchError('checkpoint-format', `stored reference outputs in ${dir} are incomplete: missing ${missing.join(', ')}`)

  const ids = readIds(join(dir, 'ids.json'), config.vocabSize, config.nPositions)
  const T = ids.length
  const { vocabSize: V, numSenses: K, nEmbd: d } = config
  const read = (name: string, shape: number[]): NpyArray => {
    const a = readNpy(join(dir, `${name}.npy`))
    if (a.shape.length !== shape.length || a.shape.some((n, i) => n !== shape[i])) {
      throw new WorkbenchError(
        'checkpoint-shape',
        `${join(dir, name)}.npy has shape [${a.shape.join(', ')}]; for ${T} ids and this model it must be [${shape.join(', ')}]`,
      )
    }
    return a
  }
  const logits = read('logits', [T, V])
  const senses = read('senses', [K, T, d])
  const contextualization = read('contextualization', [K, T, T])
  return { dir, ids, logits, senses, contextualization, readMs: performance.now() - started }
}

function readIds(path: string, vocab: number, maxLength: number): number[] {
  let ids: unknown
  try {
    ids = JSON.parse(readFileSync(path, 'utf8'))
  } catch (e) {
    throw new WorkbenchError('checkpoint-format', `${path} is not JSON: ${(e as Error).message}`, { cause: e })
  }
  if (!Array.isArray(ids) || ids.length === 0 || ids.length > maxLength || !ids.every((x) => Number.isInteger(x) && x >= 0 && x < vocab)) {
    throw new WorkbenchError(
      'checkpoint-format',
      `${path} must be a JSON array of 1–${maxLength} token ids, each an integer in [0, ${vocab})`,
    )
  }
  return ids as number[]
}
