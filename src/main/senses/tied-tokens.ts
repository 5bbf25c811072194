import type { TiedGroupInfo, TiesMode } from '../../shared/ipc/api-types'
import { gpt2Tokenizer } from '../tokenizer/gpt2-tokenizer'

export type { TiesMode }

/** How many members a collapsed entry names. */
const SAMPLE = 5

/**
 * Groups of token ids whose embedding rows E[x] are bit-identical, so that every score computed
 * from them (C(x) = senses of E[x], E·C, sense cosines) is identical too; and, where the
 * checkpoint ships unigram counts, which tokens never occurred in training. Only real tokens
 * (ids below `textVocab`) are grouped. Built once per model session from E.
 */
export class TiedTokens {
  /** groups of ≥ 2 ids, each sorted ascending; the first id is the group's representative */
  readonly groups: number[][]
  /** token id → index into `groups`, or −1 */
  readonly #groupOf: Int32Array
  /** per token, whether the counts say it never occurred (null: no counts shipped) */
  readonly neverSeen: Uint8Array | null

  private constructor(groups: number[][], vocab: number, neverSeen: Uint8Array | null) {
    this.groups = groups
    this.#groupOf = new Int32Array(vocab).fill(-1)
    groups.forEach((g, i) => {
      for (const id of g) this.#groupOf[id] = i
    })
    this.neverSeen = neverSeen
  }

  /**
   * Hashes each row's bits (FNV-1a over the float32 words), buckets rows by hash and splits each
   * bucket by exact comparison, so a hash collision never joins different rows.
   * `rows` is (vocab, d_model); `counts` (per token id, when shipped) marks never-seen tokens.
   */
  static fromRows(rows: Float32Array, vocab: number, d: number, textVocab: number, counts?: ArrayLike<number> | null): TiedTokens {
    const bits = new Uint32Array(rows.buffer, rows.byteOffset, vocab * d)
    const buckets = new Map<number, number[]>()
    for (let x = 0; x < textVocab; x++) {
      let h = 0x811c9dc5
      const o = x * d
      for (let c = 0; c < d; c++) h = Math.imul(h ^ bits[o + c], 0x01000193)
      const b = buckets.get(h)
      if (b) b.push(x)
      else buckets.set(h, [x])
    }
    const groups: number[][] = []
    for (const bucket of buckets.values()) {
      if (bucket.length < 2) continue
      let rest = bucket
      while (rest.length > 1) {
        const head = rest[0]
        const same: number[] = [head]
        const other: number[] = []
        for (let i = 1; i < rest.length; i++) (rowsEqual(bits, head, rest[i], d) ? same : other).push(rest[i])
        if (same.length > 1) groups.push(same)
        rest = other
      }
    }
    groups.sort((a, b) => a[0] - b[0])
    let neverSeen: Uint8Array | null = null
    if (counts) {
      neverSeen = new Uint8Array(vocab)
      for (let x = 0; x < Math.min(textVocab, counts.length); x++) if (counts[x] === 0) neverSeen[x] = 1
    }
    return new TiedTokens(groups, vocab, neverSeen)
  }

  /** Every id a collapsed list leaves out: each group's members after its first. */
  get hidden(): number[] {
    return (this.#hidden ??= this.groups.flatMap((g) => g.slice(1)))
  }
  #hidden: number[] | null = null

  /** The ids tied with `id` (itself included), or null when its row is its own. */
  groupOf(id: number): number[] | null {
    const g = id >= 0 && id < this.#groupOf.length ? this.#groupOf[id] : -1
    return g < 0 ? null : this.groups[g]
  }

  /** Whether a list shows this id when collapsing: untied, or the first of its group. */
  isRepresentative(id: number): boolean {
    const g = this.groupOf(id)
    return g === null || g[0] === id
  }

  /** Whether the shipped counts say this token never occurred (false without counts). */
  isNeverSeen(id: number): boolean {
    return this.neverSeen !== null && this.neverSeen[id] === 1
  }

  /** The label of a collapsed entry: its group's size, a few members, whether none of them was seen. */
  info(id: number): TiedGroupInfo | null {
    const g = this.groupOf(id)
    if (!g) return null
    const tok = gpt2Tokenizer()
    const neverSeen = this.neverSeen !== null && g.every((x) => this.neverSeen?.[x] === 1)
    const first = JSON.stringify(tok.tokenText(g[0]))
    return {
      size: g.length,
      sample: g.slice(0, SAMPLE).map((x) => ({ id: x, text: tok.tokenText(x) })),
      neverSeen,
      label: `${first} and ${(g.length - 1).toLocaleString('en-US')} tokens with the same embedding row${neverSeen ? ' (never seen in training)' : ''}`,
    }
  }

  /** `"@" and "\"", "#", "$" and 12,228 more` — the token and the others tied with it (null: untied). */
  describeGroup(id: number): string | null {
    const g = this.groupOf(id)
    if (!g) return null
    const tok = gpt2Tokenizer()
    const others = g.filter((x) => x !== id)
    const shown = others
      .slice(0, 3)
      .map((x) => JSON.stringify(tok.tokenText(x)))
      .join(', ')
    const more = others.length > 3 ? ` and ${(others.length - 3).toLocaleString('en-US')} more` : ''
    return `${JSON.stringify(tok.tokenText(id))} and ${shown}${more}`
  }
}

function rowsEqual(bits: Uint32Array, a: number, b: number, d: number): boolean {
  const oa = a * d
  const ob = b * d
  for (let c = 0; c < d; c++) if (bits[oa + c] !== bits[ob + c]) return false
  return true
}
