import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { textVocabSize } from '../math/top-k'
import type { BackpackEngine } from '../runtime/backpack-engine'
import { TiedTokens } from './tied-tokens'

/** The file a checkpoint may ship with its training split's token counts ({ counts: number[] }). */
export const UNIGRAM_COUNTS_FILE = 'unigram-counts.json'

/**
 * Finds the tied tokens of a loaded model: reads E (vocab, d_model) once from the engine and
 * hashes its rows; reads the checkpoint's unigram counts when `checkpointDir` ships them. A
 * missing or malformed counts file leaves `neverSeen` null rather than failing the lookup.
 */
export async function loadTiedTokens(
  engine: Pick<BackpackEngine, 'config' | 'embeddingRows'>,
  checkpointDir: string | null,
): Promise<TiedTokens> {
  const { vocabSize: V, nEmbd: d } = engine.config
  const rows = await engine.embeddingRows(Array.from({ length: V }, (_, i) => i)) // (vocab, d_model)
  const counts = checkpointDir ? await readCounts(join(checkpointDir, UNIGRAM_COUNTS_FILE), V) : null
  return TiedTokens.fromRows(rows, V, d, textVocabSize(V), counts)
}

async function readCounts(path: string, vocab: number): Promise<number[] | null> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch {
    return null
  }
  try {
    const doc: unknown = JSON.parse(text)
    const counts = doc && typeof doc === 'object' ? (doc as { counts?: unknown }).counts : undefined
    if (!Array.isArray(counts) || counts.length > vocab || !counts.every((c) => Number.isInteger(c) && c >= 0)) return null
    return counts as number[]
  } catch {
    return null
  }
}
