/**
 * Byte-pair merging of one pre-tokenized piece in O(n log n): the same result as tiktoken's
 * rank-ordered merge (repeatedly merge the adjacent pair of lowest rank, the leftmost on a tie),
 * which rescans every pair after each merge and takes O(n²) steps or worse — a 2,000-byte word
 * takes tens of seconds that way.
 *
 * The parts live in a linked list over byte offsets (`end[i]` is the end of the part starting at
 * byte i, -1 once merged away; `prev[i]` its left neighbour); candidate pairs wait in a min-heap
 * ordered by (rank, start). An entry is stale once its left part was merged into another or its
 * right neighbour grew; stale entries are dropped when popped. Every pair the list ever holds is
 * pushed when it forms, so the first live entry popped is exactly the pair the rescan would pick:
 * the lowest rank, and among equal ranks (the same bytes) the leftmost start.
 *
 * `piece` is a binary string (one char per byte, as `Buffer#toString('latin1')` gives); `rank`
 * looks up a byte string's rank; no token is longer than `maxTokenBytes`, so longer pairs are not
 * looked up. Returns the part boundaries: the start offsets, followed by the piece's length.
 */
export function bytePairMerge(piece: string, rank: (bytes: string) => number | undefined, maxTokenBytes: number): number[] {
  const n = piece.length
  const end = new Int32Array(n)
  const prev = new Int32Array(n)
  for (let i = 0; i < n; i++) {
    end[i] = i + 1
    prev[i] = i - 1
  }
  const heap = new PairHeap()
  const pairRank = (i: number): void => {
    const j = end[i]
    if (j >= n) return
    const k = end[j]
    if (k - i > maxTokenBytes) return
    const r = rank(piece.slice(i, k))
    if (r !== undefined) heap.push(r, i, k)
  }
  for (let i = 0; i + 1 < n; i++) pairRank(i)
  while (heap.size > 0) {
    const [, i, k] = heap.pop()
    const j = end[i]
    if (j === -1 || j >= n || end[j] !== k) continue // stale: this pair no longer exists
    end[i] = k
    end[j] = -1
    if (k < n) prev[k] = i
    pairRank(i)
    if (prev[i] >= 0) pairRank(prev[i])
  }
  const bounds: number[] = []
  for (let i = 0; i < n; i = end[i]) bounds.push(i)
  bounds.push(n)
  return bounds
}

/**
 * A binary min-heap of pairs keyed by rank · 2³² + start (exact in a double: ranks < 2¹⁶ and
 * starts < 2³²), so one comparison orders by rank, then start; the pair's end rides along.
 */
class PairHeap {
  #key = new Float64Array(64)
  #end = new Int32Array(64)
  size = 0

  push(rank: number, start: number, end: number): void {
    if (this.size === this.#key.length) this.#grow()
    const key = rank * 2 ** 32 + start
    let i = this.size++
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (this.#key[parent] <= key) break
      this.#key[i] = this.#key[parent]
      this.#end[i] = this.#end[parent]
      i = parent
    }
    this.#key[i] = key
    this.#end[i] = end
  }

  /** Removes the smallest pair: [rank, start, end]. */
  pop(): [number, number, number] {
    const key = this.#key[0]
    const top: [number, number, number] = [Math.floor(key / 2 ** 32), key % 2 ** 32, this.#end[0]]
    const n = --this.size
    const lastKey = this.#key[n]
    const lastEnd = this.#end[n]
    let i = 0
    for (;;) {
      let child = 2 * i + 1
      if (child >= n) break
      if (child + 1 < n && this.#key[child + 1] < this.#key[child]) child++
      if (this.#key[child] >= lastKey) break
      this.#key[i] = this.#key[child]
      this.#end[i] = this.#end[child]
      i = child
    }
    this.#key[i] = lastKey
    this.#end[i] = lastEnd
    return top
  }

  #grow(): void {
    const key = new Float64Array(this.#key.length * 2)
    key.set(this.#key)
    const end = new Int32Array(this.#end.length * 2)
    end.set(this.#end)
    this.#key = key
    this.#end = end
  }
}
