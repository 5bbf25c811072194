import { WorkbenchError } from '../../shared/errors'
import { WORD_POLICIES, type WordPolicy } from '../../shared/word-policy'
import { gpt2Tokenizer } from '../tokenizer/gpt2-tokenizer'

/**
 * How a word becomes sense vectors (backpack-spec.md §4.1–4.2): the GPT-2 tokens of `' ' + word`
 * (unless it starts with whitespace or `rawSpacing`), then for a multi-token word either the
 * **first** token (the paper's sense visualisation and demo) or the **mean** of the tokens'
 * sense vectors (the paper's lexical-similarity evaluation).
 */
export type { WordPolicy }

export interface ResolvedWord {
  word: string
  /** the exact text tokenized */
  text: string
  tokens: { id: number; text: string }[]
  policy: WordPolicy
  /** the token ids whose senses are used (one for 'first', all for 'mean') */
  used: number[]
  multiToken: boolean
}

export function resolveWord(word: string, vocabSize: number, options: { policy?: WordPolicy; rawSpacing?: boolean } = {}): ResolvedWord {
  if (typeof word !== 'string' || word.length === 0) throw new WorkbenchError('bad-request', 'word must be a non-empty string')
  const policy = parseWordPolicy(options.policy ?? 'first')
  const tok = gpt2Tokenizer()
  const ids = tok.wordTokens(word, { rawSpacing: options.rawSpacing })
  const text = options.rawSpacing || /^\s/.test(word) ? word : ' ' + word
  const outside = ids.find((id) => id >= vocabSize)
  if (outside !== undefined)
    throw new WorkbenchError(
      'not-found',
      `word ${JSON.stringify(word)} has token ${outside}, outside this model's vocabulary [0, ${vocabSize})`,
    )
  return {
    word,
    text,
    tokens: ids.map((id) => ({ id, text: tok.tokenText(id) })),
    policy,
    used: policy === 'first' ? [ids[0]] : ids,
    multiToken: ids.length > 1,
  }
}

/** A multi-token policy given as text (`what` names it in the error: "--policy", "policy"). */
export function parseWordPolicy(value: unknown, what = 'multi-token policy'): WordPolicy {
  if (WORD_POLICIES.includes(value as WordPolicy)) return value as WordPolicy
  throw new WorkbenchError(
    'bad-request',
    `${what} must be one of ${WORD_POLICIES.map((p) => JSON.stringify(p)).join(', ')}, got ${JSON.stringify(value)}`,
  )
}

/**
 * What a multi-token word was reduced to, in one line for a log or stderr: its tokens and the
 * policy used, so a word is never silently taken as its first token. Null for a one-token word.
 */
export function multiTokenNote(r: Pick<ResolvedWord, 'word' | 'tokens' | 'policy' | 'multiToken'>): string | null {
  if (!r.multiToken) return null
  const tokens = r.tokens.map((t) => `${JSON.stringify(t.text)}=${t.id}`).join(' ')
  const how =
    r.policy === 'first'
      ? `the senses of its first token ${JSON.stringify(r.tokens[0].text)}`
      : `the mean of its ${r.tokens.length} tokens' senses`
  return `${JSON.stringify(r.word)} is ${r.tokens.length} tokens (${tokens}); policy ${r.policy}: ${how} (policies: ${WORD_POLICIES.join(', ')})`
}

/** The sense vectors of a resolved word, (sense, d_model): first token's, or the mean. */
export function combineWordSenses(perToken: readonly Float32Array[]): Float32Array {
  if (perToken.length === 1) return perToken[0].slice()
  const out = new Float32Array(perToken[0].length)
  for (const v of perToken) for (let i = 0; i < out.length; i++) out[i] += v[i] / perToken.length
  return out
}
