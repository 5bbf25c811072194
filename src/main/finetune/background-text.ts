import { readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { WorkbenchError } from '../../shared/errors'
import { demoCheckpointDir } from '../paths/app-paths'
import { gpt2Tokenizer } from '../tokenizer/gpt2-tokenizer'

/**
 * The general text fine-tuning measures degradation on (and regularises towards): the user's
 * file, or the bundled demo's held-out WordNet text. Scored in windows of at most n_positions
 * tokens that overlap by one token, each window's first token serving as context only, so every
 * token but the very first is predicted exactly once (as sequence-metrics' tokenLogProbs does).
 */
export interface BackgroundText {
  ids: number[]
  /** the file read, or a sentence naming the bundled default */
  source: string
  isDefault: boolean
  /** true when the text had more than maxTokens tokens and only the first maxTokens are used */
  truncated: boolean
}

export const DEFAULT_MAX_BACKGROUND_TOKENS = 8192
export const MAX_BACKGROUND_BYTES = 8 * 1024 * 1024

export function defaultBackgroundPath(): string {
  return join(demoCheckpointDir(), 'heldout.txt')
}

export async function loadBackgroundText(path: string | undefined, maxTokens = DEFAULT_MAX_BACKGROUND_TOKENS): Promise<BackgroundText> {
  const file = path ?? defaultBackgroundPath()
  let text: string
  try {
    const info = await stat(file)
    if (info.size > MAX_BACKGROUND_BYTES)
      throw new WorkbenchError(
        'bad-request',
        `the background file ${file} has ${info.size} bytes; at most ${MAX_BACKGROUND_BYTES} are read`,
      )
    text = await readFile(file, 'utf8')
  } catch (e) {
    if (e instanceof WorkbenchError) throw e
    throw new WorkbenchError('not-found', `cannot read the background text ${file}: ${(e as Error).message}`, { cause: e })
  }
  const source = path === undefined ? `the bundled demo's held-out text (resources/demo-backpack/heldout.txt, none given)` : file
  return { ...backgroundFromText(text, source, maxTokens), isDefault: path === undefined }
}

/** Background text given as a string (the app's Teach view sends it), at most MAX_BACKGROUND_BYTES characters. */
export function backgroundFromText(text: string, source: string, maxTokens = DEFAULT_MAX_BACKGROUND_TOKENS): BackgroundText {
  if (text.length > MAX_BACKGROUND_BYTES)
    throw new WorkbenchError('bad-request', `the background text has ${text.length} characters; at most ${MAX_BACKGROUND_BYTES} are read`)
  const all = gpt2Tokenizer().encode(text)
  if (all.length < 2)
    throw new WorkbenchError('bad-request', `the background text ${source} has ${all.length} tokens; at least 2 are needed (one predicted)`)
  const ids = all.slice(0, maxTokens)
  return { ids, source, isDefault: false, truncated: all.length > ids.length }
}

/** Windows [start, end) of at most nPositions tokens overlapping by one token; rows 0..len−2 of each are predicted (the shared convention). */
export { predictionWindows as backgroundWindows } from '../evaluation/prediction-windows'
