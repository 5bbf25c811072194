import { getEncoding, type Tiktoken } from 'js-tiktoken'
import { END_OF_TEXT, GPT2_TEXT_VOCAB } from '../../shared/model/config'
import { WorkbenchError } from '../../shared/errors'

/**
 * GPT-2 byte-level BPE (50257 ids), from js-tiktoken's bundled `gpt2` ranks: no download.
 * `<|endoftext|>` (50256) is only produced when the text spells it and `allowSpecial` is set.
 */
export class Gpt2Tokenizer {
  readonly #enc: Tiktoken
  readonly #textCache = new Map<number, string>()

  constructor() {
    this.#enc = getEncoding('gpt2')
  }

  encode(text: string, options: { allowSpecial?: boolean } = {}): number[] {
    if (typeof text !== 'string') throw new WorkbenchError('bad-request', 'text to tokenize must be a string')
    return options.allowSpecial ? this.#enc.encode(text, 'all') : this.#enc.encode(text, [], [])
  }

  /** Decodes ids to text; padding ids (≥ 50257) are skipped, out-of-range ids are an error. */
  decode(ids: readonly number[]): string {
    for (const id of ids) checkTokenId(id)
    return this.#enc.decode(ids.filter((id) => id < GPT2_TEXT_VOCAB))
  }

  /**
   * The text of one token for display. Tokens that hold part of a UTF-8 sequence decode to
   * U+FFFD; padding rows of the model's vocabulary show as `<pad:ID>`.
   */
  tokenText(id: number): string {
    checkTokenId(id)
    if (id >= GPT2_TEXT_VOCAB) return `<pad:${id}>`
    let s = this.#textCache.get(id)
    if (s === undefined) {
      s = id === END_OF_TEXT ? '<|endoftext|>' : this.#enc.decode([id])
      this.#textCache.set(id, s)
    }
    return s
  }

  /**
   * A word as the paper looks it up: `' ' + word` unless it already starts with whitespace or
   * `rawSpacing` is set. Returns every token; callers choose the multi-token policy.
   */
  wordTokens(word: string, options: { rawSpacing?: boolean } = {}): number[] {
    const text = options.rawSpacing || /^\s/.test(word) ? word : ' ' + word
    const ids = this.encode(text)
    if (ids.length === 0) throw new WorkbenchError('bad-request', `word ${JSON.stringify(word)} has no tokens`)
    return ids
  }
}

/** A token id the model knows (0 ≤ id < 50264, padding rows included). */
export function checkTokenId(id: number, vocabSize = 50264): void {
  if (!Number.isInteger(id) || id < 0 || id >= vocabSize) {
    throw new WorkbenchError('bad-request', `token id ${id} is outside the vocabulary [0, ${vocabSize})`)
  }
}

let shared: Gpt2Tokenizer | undefined
/** The process-wide tokenizer (its BPE ranks take ~100 ms to load). */
export function gpt2Tokenizer(): Gpt2Tokenizer {
  shared ??= new Gpt2Tokenizer()
  return shared
}
