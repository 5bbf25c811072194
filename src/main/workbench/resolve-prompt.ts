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

/**
 * The one prompt-to-ids resolution of every door: text is checked and tokenized (off the thread
 * that answers requests, refusing what the model cannot take: `bad-request` / `too-long`); ids are
 * checked against the vocabulary and the model's positions, and get spans over their decoded text.
 */
export async function resolvePrompt(session: ModelSession, tokenizer: TokenizerThread, prompt: PromptRequest): Promise<ResolvedPrompt> {
  if ((prompt.text === undefined) === (prompt.ids === undefined))
    throw new WorkbenchError('bad-request', 'give exactly one of text (the prompt) and ids (its token ids)')
  if (prompt.text !== undefined) {
    const ids = await session.encode(prompt.text)
    return { ids, tokens: await tokenizer.promptTokens(prompt.text), text: prompt.text }
  }
  const ids = prompt.ids ?? []
  const { vocabSize, nPositions } = session.engine.config
  if (ids.length > nPositions)
    throw new WorkbenchError('too-long', `the prompt has ${ids.length} tokens; the model takes at most ${nPositions}`)
  const bad = ids.findIndex((id) => id >= vocabSize)
  if (bad >= 0) throw new WorkbenchError('bad-request', `ids[${bad}] = ${ids[bad]} is outside the vocabulary [0, ${vocabSize})`)
  const tok = gpt2Tokenizer()
  const tokens: PromptToken[] = []
  let end = 0
  for (const id of ids) {
    const text = tok.tokenText(id)
    tokens.push({ id, text, start: end, end: end + text.length })
    end += text.length
  }
  return { ids, tokens, text: tok.decode(ids) }
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
