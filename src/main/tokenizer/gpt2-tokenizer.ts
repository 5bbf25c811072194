import gpt2Ranks from 'js-tiktoken/ranks/gpt2'
import { END_OF_TEXT, GPT2_TEXT_VOCAB } from '../../shared/model/config'
import { WorkbenchError } from '../../shared/errors'
import { bytePairMerge } from './byte-pair-merge'

export interface EncodeOptions {
  /** turn `<|endoftext|>` in the text into the special id 50256 (otherwise it is plain text) */
  allowSpecial?: boolean
  /**
   * Refuse (`too-long`) a text of more tokens than this, before tokenizing what cannot fit: no
   * GPT-2 token is longer than `maxTokenBytes`, so a text (or a pre-tokenized piece) of L UTF-8
   * bytes takes at least ⌈L / maxTokenBytes⌉ tokens. With `truncate`, keep the first maxTokens.
   */
  maxTokens?: number
  truncate?: boolean
}

const SPECIAL = '<|endoftext|>'
const CACHED_PIECE_BYTES = 64
const PIECE_CACHE_SIZE = 20_000

/**
 * GPT-2 byte-level BPE (50257 ids) over js-tiktoken's bundled `gpt2` ranks: no download. The
 * text is split by GPT-2's pattern and each piece merged in O(n log n) (byte-pair-merge.ts); the
 * ids equal js-tiktoken's `gpt2` encoding, the reference the tests compare against.
 * `<|endoftext|>` (50256) is only produced when the text spells it and `allowSpecial` is set.
 */
export class Gpt2Tokenizer {
  /** the longest token of the vocabulary, in UTF-8 bytes (128 for GPT-2) */
  readonly maxTokenBytes: number
  readonly #ranks = new Map<string, number>() // binary string of the token's bytes → id
  readonly #bytes: Buffer[] = [] // id → bytes
  readonly #pattern: RegExp
  readonly #textCache = new Map<number, string>()
  readonly #pieceCache = new Map<string, number[]>() // merged pieces of up to CACHED_PIECE_BYTES
  readonly #decoder = new TextDecoder('utf-8')

  constructor() {
    let longest = 0
    for (const line of gpt2Ranks.bpe_ranks.split('\n')) {
      if (!line) continue
      const [, offset, ...tokens] = line.split(' ')
      tokens.forEach((token, i) => {
        const bytes = Buffer.from(token, 'base64')
        const id = Number(offset) + i
        this.#ranks.set(bytes.toString('latin1'), id)
        this.#bytes[id] = bytes
        longest = Math.max(longest, bytes.length)
      })
    }
    this.#bytes[END_OF_TEXT] = Buffer.from(SPECIAL)
    this.maxTokenBytes = longest
    this.#pattern = new RegExp(gpt2Ranks.pat_str, 'gu')
  }

  encode(text: string, options: EncodeOptions = {}): number[] {
    if (typeof text !== 'string') throw new WorkbenchError('bad-request', 'text to tokenize must be a string')
    const max = options.maxTokens ?? Infinity
    const refuse = !options.truncate && Number.isFinite(max)
    // O(1): every UTF-16 unit is at least one UTF-8 byte
    if (refuse && text.length > max * this.maxTokenBytes) throw this.#tooLong(Math.ceil(text.length / this.maxTokenBytes), max)
    const pieces = this.#pieces(text, !!options.allowSpecial)
    if (refuse) {
      let atLeast = 0
      for (const p of pieces) atLeast += typeof p === 'number' ? 1 : Math.ceil(p.length / this.maxTokenBytes)
      if (atLeast > max) throw this.#tooLong(atLeast, max)
    }
    const ids: number[] = []
    for (const p of pieces) {
      if (ids.length > max || (ids.length === max && !refuse)) break // refused, or truncated: the rest cannot be kept
      if (typeof p === 'number') ids.push(p)
      else this.#encodePiece(p, ids)
    }
    if (ids.length > max) {
      if (refuse) throw this.#tooLong(ids.length, max, true)
      ids.length = max
    }
    return ids
  }

  /** Decodes ids to text; padding ids (≥ 50257) are skipped, out-of-range ids are an error. */
  decode(ids: readonly number[]): string {
    for (const id of ids) checkTokenId(id)
    return this.#decoder.decode(Buffer.concat(ids.filter((id) => id < GPT2_TEXT_VOCAB).map((id) => this.#bytes[id])))
  }

  /** The number of UTF-8 bytes token `id` stands for (0 for padding ids). */
  byteLength(id: number): number {
    checkTokenId(id)
    return id < GPT2_TEXT_VOCAB ? this.#bytes[id].length : 0
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
      s = this.decode([id])
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

  /** The text's pre-tokenized pieces as binary strings (one char per UTF-8 byte); 50256 for an allowed `<|endoftext|>`. */
  #pieces(text: string, allowSpecial: boolean): (string | number)[] {
    const out: (string | number)[] = []
    const parts = allowSpecial ? text.split(SPECIAL) : [text]
    parts.forEach((part, i) => {
      if (i > 0) out.push(END_OF_TEXT)
      for (const m of part.matchAll(this.#pattern)) out.push(Buffer.from(m[0], 'utf8').toString('latin1'))
    })
    return out
  }

  #encodePiece(piece: string, ids: number[]): void {
    const whole = this.#ranks.get(piece)
    if (whole !== undefined) {
      ids.push(whole)
      return
    }
    let merged = this.#pieceCache.get(piece)
    if (!merged) {
      const bounds = bytePairMerge(piece, (bytes) => this.#ranks.get(bytes), this.maxTokenBytes)
      merged = []
      for (let i = 0; i + 1 < bounds.length; i++) merged.push(this.#ranks.get(piece.slice(bounds[i], bounds[i + 1])) as number)
      if (piece.length <= CACHED_PIECE_BYTES) {
        if (this.#pieceCache.size >= PIECE_CACHE_SIZE) this.#pieceCache.clear()
        this.#pieceCache.set(piece, merged)
      }
    }
    for (const id of merged) ids.push(id)
  }

  #tooLong(count: number, max: number, exact = false): WorkbenchError {
    return new WorkbenchError('too-long', `the text has ${exact ? '' : 'at least '}${count} tokens, more than the ${max} allowed`)
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
