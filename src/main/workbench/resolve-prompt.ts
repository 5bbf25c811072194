import { WorkbenchError } from '../../shared/errors'
import type { PromptToken } from '../../shared/ipc/api-types'
import type { ModelSession } from '../session/model-session'
import { gpt2Tokenizer } from '../tokenizer/gpt2-tokenizer'
import type { TokenizerThread } from '../tokenizer/tokenizer-thread'

/** A request's prompt, as text or as token ids (exactly one: the request schemas check it). */
export interface PromptRequest {
  text?: string
  ids?: number[]
}

export interface ResolvedPrompt {
  ids: number[]
  /** each token with its character span in `text` */
  tokens: PromptToken[]
  /** the prompt's text: as given, or the ids decoded */
  text: string
}

/** A prompt's ids, and how many tokens it had when `truncate` cut it. */
export interface ResolvedIds {
  ids: number[]
  truncatedFrom?: number
}

/**
 * The one prompt-to-ids resolution of every door: text is checked and tokenized (off the thread
 * that answers requests, refusing what the model cannot take: `bad-request` / `too-long`); ids are
 * checked against the vocabulary and the model's positions, and get spans over their decoded text.
 * With `truncate`, a prompt longer than the model's positions keeps its first n_positions tokens
 * instead of being refused (`truncatedFrom`: how many it had).
 */
export async function resolvePrompt(
  session: ModelSession,
  tokenizer: TokenizerThread,
  prompt: PromptRequest,
  options: { truncate?: boolean } = {},
): Promise<ResolvedPrompt & ResolvedIds> {
  const resolved = await resolvePromptIds(session, tokenizer, prompt, options)
  const { ids } = resolved
  if (prompt.text !== undefined) {
    const tokens = (await tokenizer.promptTokens(prompt.text)).slice(0, ids.length)
    return { ...resolved, tokens, text: prompt.text }
  }
  const tok = gpt2Tokenizer()
  const tokens: PromptToken[] = []
  let end = 0
  for (const id of ids) {
    const text = tok.tokenText(id)
    tokens.push({ id, text, start: end, end: end + text.length })
    end += text.length
  }
  return { ...resolved, tokens, text: tok.decode(ids) }
}

/**
 * `resolvePrompt`'s ids alone, without the tokens' texts and spans (which load the GPT-2
 * vocabulary: a one-shot CLI `forward --ids` never needs it).
 */
export async function resolvePromptIds(
  session: ModelSession,
  tokenizer: TokenizerThread,
  prompt: PromptRequest,
  options: { truncate?: boolean } = {},
): Promise<ResolvedIds> {
  if ((prompt.text === undefined) === (prompt.ids === undefined))
    throw new WorkbenchError('bad-request', 'give exactly one of text (the prompt) and ids (its token ids)')
  const { vocabSize, nPositions } = session.engine.config
  const given = prompt.text !== undefined ? await session.encode(prompt.text, options.truncate ? Infinity : nPositions) : (prompt.ids ?? [])
  const cut = options.truncate && given.length > nPositions
  const ids = cut ? given.slice(0, nPositions) : given
  if (ids.length > nPositions)
    throw new WorkbenchError('too-long', `the prompt has ${ids.length} tokens; the model takes at most ${nPositions}`)
  const bad = ids.findIndex((id) => id >= vocabSize)
  if (bad >= 0) {
    const where = prompt.ids ? `ids[${bad}] = ${ids[bad]}` : `the text's token ${bad} (id ${ids[bad]})`
    throw new WorkbenchError('bad-request', `${where} is outside the vocabulary [0, ${vocabSize})`)
  }
  return { ids, ...(cut ? { truncatedFrom: given.length } : {}) }
}

/**
 * The one token-reference resolution of every door: a token id (inside the vocabulary) or text
 * that is exactly one GPT-2 token as given (mind the leading space: " she").
 */
export function resolveTokenRef(session: ModelSession, ref: string | number, what: string): number {
  const V = session.engine.config.vocabSize
  if (typeof ref === 'number') {
    if (ref >= V) throw new WorkbenchError('bad-request', `${what} ${ref} is outside the vocabulary [0, ${V})`)
    return ref
  }
  const ids = gpt2Tokenizer().encode(ref)
  if (ids.length !== 1)
    throw new WorkbenchError(
      'bad-request',
      `${what} ${JSON.stringify(ref)} is ${ids.length} tokens [${ids.join(', ')}]; give one token (e.g. " she") or a token id`,
    )
  if (ids[0] >= V)
    throw new WorkbenchError('bad-request', `${what} ${JSON.stringify(ref)} is token ${ids[0]}, outside the vocabulary [0, ${V})`)
  return ids[0]
}
