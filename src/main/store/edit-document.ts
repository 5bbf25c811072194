import { parseSenseEdits, type ResolvedSenseEdit } from '../../shared/edits/parse-sense-edits'
import type { SenseEditDocument } from '../../shared/edits/sense-edits'
import { gpt2Tokenizer } from '../tokenizer/gpt2-tokenizer'

/** Sizes of the model an edit document is checked against. */
export interface EditLimits {
  vocabSize: number
  numSenses: number
  dModel: number
}

/** Largest sense index accepted when the checkpoint is not known to this database. */
const UNKNOWN_MODEL_SENSES = 4096
const GPT2_PADDED_VOCAB = 50264

export interface ValidatedEdits {
  document: SenseEditDocument
  /** every token the edits touch, for the "token edited" filter */
  tokens: { tokenId: number; word: string }[]
}

/**
 * Validates a sense-edit document with the analysis core's parser. With the checkpoint's sizes
 * the check is exact; without them (a checkpoint this database has not seen) the GPT-2 vocabulary
 * is used, sense indices are only checked to be non-negative integers, and explicit vectors must
 * all have the same length. Throws `edit-invalid`.
 */
export function validateEdits(input: unknown, limits?: EditLimits): ValidatedEdits {
  const tokenizer = gpt2Tokenizer()
  const parsed = parseSenseEdits(input, {
    vocabSize: limits?.vocabSize ?? GPT2_PADDED_VOCAB,
    numSenses: limits?.numSenses ?? UNKNOWN_MODEL_SENSES,
    dModel: limits?.dModel ?? firstVectorLength(input),
    resolveToken: (text) => tokenizer.encode(text),
  })
  const ids = new Set<number>()
  for (const e of parsed.edits) for (const id of touchedTokens(e)) ids.add(id)
  const tokens = [...ids].sort((a, b) => a - b).map((tokenId) => ({ tokenId, word: normalizeWord(tokenText(tokenId)) }))
  return { document: parsed.document, tokens }
}

/** Loads what validation needs (the GPT-2 tokenizer, ~1 s the first time): writers call it before taking the write lock. */
export function loadEditValidation(): void {
  gpt2Tokenizer()
}

/** The key a user's token filter is matched on: trimmed, lower case. */
export function normalizeWord(text: string): string {
  return text.trim().toLowerCase()
}

function tokenText(id: number): string {
  return id < 50257 ? gpt2Tokenizer().tokenText(id) : `<pad:${id}>`
}

function touchedTokens(e: ResolvedSenseEdit): number[] {
  switch (e.kind) {
    case 'scale-sense':
      return [e.token]
    case 'knowledge-edit':
      return [e.token, e.remove, e.add]
    case 'replace-sense':
    case 'add-sense':
      return 'token' in e.from ? [e.token, e.from.token] : [e.token]
    case 'topic':
      return e.bag
    case 'scale-contextualization':
      return []
  }
}

function firstVectorLength(input: unknown): number {
  const text = typeof input === 'string' ? input : JSON.stringify(input ?? null)
  let doc: unknown
  try {
    doc = JSON.parse(text)
  } catch {
    return 0 // the parser reports the JSON error
  }
  const edits = (doc as { edits?: unknown })?.edits
  if (!Array.isArray(edits)) return 0
  for (const e of edits) {
    const values = (e as { from?: { values?: unknown } })?.from?.values
    if (Array.isArray(values)) return values.length
  }
  return 0
}
