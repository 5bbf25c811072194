import { createHash, randomBytes } from 'node:crypto'
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { WorkbenchError } from '../../shared/errors'
import { cacheDir } from '../paths/app-paths'
import { tokenLogProb } from '../evaluation/prediction-windows'
import type { FinetuneEngine } from './finetune-engine'
import { backgroundWindows } from './background-text'
import { accumulateAlphaMass } from './sense-weights'

/**
 * What sense selection and the degradation ball need from the background text under the
 * original model, computed once per (checkpoint, background) and kept on disk next to the ONNX
 * conversion cache (`cacheDir()/finetune/<content hash>/background-<ids hash>.bin`):
 * - alphaMass (vocab, sense): the mean over predicted positions t of w_t(v, ℓ) (sense-weights.ts);
 * - nll (positions): −log p(x_{t+1} | x_≤t) of every predicted position, natural log.
 */
export interface BackgroundStatistics {
  /** predicted positions N (all tokens but the first) */
  positions: number
  alphaMass: Float32Array // (vocab, sense)
  nll: Float32Array // (N)
  /** whether this call read the cache instead of running the model */
  cached: boolean
}

const MAGIC = 0x54465042 // 'BPFT'
const VERSION = 1
const HEADER_WORDS = 5 // magic, version, N, vocab, senses

function cachePath(contentHash: string, ids: readonly number[], nPositions: number): string {
  const key = createHash('sha256')
    .update(`${nPositions}|${ids.join(',')}`)
    .digest('hex')
    .slice(0, 32)
  return join(cacheDir(), 'finetune', contentHash, `background-${key}.bin`)
}

export async function backgroundStatistics(
  engine: FinetuneEngine,
  ids: readonly number[],
  options: { signal?: AbortSignal } = {},
): Promise<BackgroundStatistics> {
  const { vocabSize: V, numSenses: k, nPositions } = engine.config
  const path = cachePath(engine.contentHash, ids, nPositions)
  const hit = await readCached(path, ids.length - 1, V, k)
  if (hit) return hit
  const acc = new Float64Array(V * k) // (vocab, sense)
  const nll = new Float32Array(ids.length - 1)
  let n = 0
  for (const { start, end } of backgroundWindows(ids.length, nPositions)) {
    if (options.signal?.aborted) throw new WorkbenchError('cancelled', 'fine-tuning was cancelled while scoring the background text')
    const window = ids.slice(start, end)
    const rows = window.slice(0, -1).map((_, t) => t)
    const out = await engine.forward(window, { positions: rows, signal: options.signal })
    for (const t of rows) {
      const y = window[t + 1]
      nll[n++] = -tokenLogProb(out.logits, t, y, V)
    }
    accumulateAlphaMass(out.contextualization, window, k, rows, acc)
  }
  const alphaMass = new Float32Array(V * k)
  for (let i = 0; i < acc.length; i++) alphaMass[i] = acc[i] / n
  const stats = { positions: n, alphaMass, nll, cached: false }
  await writeCached(path, stats, V, k)
  return stats
}

async function readCached(path: string, n: number, V: number, k: number): Promise<BackgroundStatistics | null> {
  let bytes: Buffer
  try {
    bytes = await readFile(path)
  } catch {
    return null
  }
  const words = HEADER_WORDS + V * k + n
  if (bytes.length !== words * 4) return null
  const all = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length)) // aligned copy
  const head = new Uint32Array(all.buffer, 0, HEADER_WORDS)
  if (head[0] !== MAGIC || head[1] !== VERSION || head[2] !== n || head[3] !== V || head[4] !== k) return null
  return { positions: n, alphaMass: all.slice(HEADER_WORDS, HEADER_WORDS + V * k), nll: all.slice(HEADER_WORDS + V * k), cached: true }
}

/** Best effort: a cache that cannot be written only costs the next run the same forward passes. */
async function writeCached(path: string, stats: BackgroundStatistics, V: number, k: number): Promise<void> {
  const all = new Float32Array(HEADER_WORDS + V * k + stats.positions)
  new Uint32Array(all.buffer, 0, HEADER_WORDS).set([MAGIC, VERSION, stats.positions, V, k])
  all.set(stats.alphaMass, HEADER_WORDS)
  all.set(stats.nll, HEADER_WORDS + V * k)
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`
  try {
    await mkdir(join(path, '..'), { recursive: true })
    await writeFile(tmp, new Uint8Array(all.buffer))
    await rename(tmp, path)
  } catch {
    // read-only or full cache location: nothing to undo but the temporary file
    await rm(tmp, { force: true }).catch(() => undefined)
  }
}
