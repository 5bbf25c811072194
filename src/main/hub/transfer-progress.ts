/**
 * Progress of a multi-file download: bytes, rate and time left. The rate is measured over a
 * sliding window of recent samples so it follows the current speed; bytes that were already on
 * disk (cache hits, resumed partial files) count as done but not towards the rate.
 */
export interface HubDownloadProgress {
  phase: 'resolving' | 'downloading' | 'verifying' | 'done'
  /** The file being worked on (repository path), null while resolving. */
  file: string | null
  fileBytes: number
  fileTotal: number
  /** All requested files together. */
  bytes: number
  total: number
  /** Bytes per second over the last few seconds (0 until measurable). */
  rate: number
  /** Seconds left at the current rate, null when unknown. */
  etaSeconds: number | null
}

const WINDOW_MS = 5000
const EMIT_EVERY_MS = 200

export class TransferProgress {
  #samples: { t: number; bytes: number }[] = []
  #transferred = 0
  #lastEmit = -Infinity
  #now: () => number
  bytes = 0
  total = 0

  constructor(now: () => number = () => performance.now()) {
    this.#now = now
  }

  /** Bytes that were already present (not transferred now). */
  addExisting(n: number): void {
    this.bytes += n
  }

  /** Bytes received from the network now. */
  addTransferred(n: number): void {
    this.bytes += n
    this.#transferred += n
    const t = this.#now()
    this.#samples.push({ t, bytes: this.#transferred })
    while (this.#samples.length > 2 && t - this.#samples[0].t > WINDOW_MS) this.#samples.shift()
  }

  rate(): number {
    if (this.#samples.length < 2) return 0
    const first = this.#samples[0]
    const last = this.#samples[this.#samples.length - 1]
    const dt = (last.t - first.t) / 1000
    return dt > 0 ? (last.bytes - first.bytes) / dt : 0
  }

  etaSeconds(): number | null {
    const rate = this.rate()
    if (rate <= 0) return this.bytes >= this.total && this.total > 0 ? 0 : null
    return Math.max(0, this.total - this.bytes) / rate
  }

  /** Throttle for chunk-level events: true at most every 200 ms, or always when `force`. */
  due(force = false): boolean {
    const t = this.#now()
    if (!force && t - this.#lastEmit < EMIT_EVERY_MS) return false
    this.#lastEmit = t
    return true
  }
}
