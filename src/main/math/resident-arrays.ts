import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads'

/**
 * A helper thread that makes zero-filled Float32Arrays whose pages are already in memory: it
 * allocates one, writes a zero into each 4 KiB page and transfers the buffer to `workerData`'s
 * port (the pages move with it, nothing is copied). Plain script: it needs no build entry.
 */
const TOUCHER = `
const { parentPort, workerData } = require('node:worker_threads')
parentPort.on('message', (length) => {
  const array = new Float32Array(length)
  for (let i = 0; i < length; i += 1024) array[i] = 0
  workerData.port.postMessage(array, [array.buffer])
})
`

interface Stock {
  ready: Float32Array[]
  pending: number
  want: number
}

/**
 * Zero-filled Float32Arrays of a few known lengths, made ahead of time on another thread so that
 * their first writes do not fault pages in. Fresh memory is not free: the kernel maps and zeroes
 * each 4 KiB page on its first touch — on the bench machine ~13 µs a page, so a new 6.4 MB
 * (32 × 50,264 floats) logits array cost ~20 ms of a ~7 ms re-run after an edit
 * (docs/benchmarks.md). A caller that will ask for arrays of a length again (re-runs of one prompt)
 * `reserve`s them; `take` hands out a ready array — an ordinary one, owned by the caller from then
 * on — and asks for a replacement, or allocates as `new Float32Array` would when none is ready.
 * At most `budgetFloats` are held or on their way; a reservation of a new length drops the
 * oldest other lengths past the budget. Arrays are received synchronously (`receiveMessageOnPort`)
 * when asked for: a burst of re-runs awaits only promises and never lets a message event run.
 */
export class ResidentArrays {
  readonly #budget: number
  readonly #stock = new Map<number, Stock>() // length → its arrays, in reservation order
  #worker: Worker | null = null
  #port: MessagePort | null = null // where the helper's arrays arrive
  #broken = false
  #filling = false // a fill is queued

  constructor(budgetFloats = 10 * 2 ** 20) {
    this.#budget = budgetFloats
  }

  /**
   * Keeps up to `count` ready arrays of `length` floats (fewer if the budget is smaller); older
   * reservations of other lengths are dropped while the reserved floats exceed the budget.
   */
  reserve(length: number, count: number): void {
    if (this.#broken || !Number.isInteger(length) || length <= 0) return
    const s = this.#stock.get(length) ?? { ready: [], pending: 0, want: 0 }
    this.#stock.delete(length) // re-inserted last: the most recent reservation is dropped last
    this.#stock.set(length, s)
    s.want = Math.max(s.want, Math.min(count, Math.floor(this.#budget / length)))
    for (const other of this.#stock.keys()) {
      if (this.#held() <= this.#budget) break
      // its ready arrays become garbage; replies still on their way are dropped on arrival
      if (other !== length) this.#stock.delete(other)
    }
    this.#fill()
  }

  /** A zero-filled array of `length` floats: a ready one when there is one, else a new one. */
  take(length: number): Float32Array {
    this.#receive()
    const s = this.#stock.get(length)
    const array = s?.ready.pop()
    if (s) this.#fill()
    return array ?? new Float32Array(length)
  }

  /** Arrays ready now, per length (for tests and diagnostics). */
  ready(): Map<number, number> {
    this.#receive()
    return new Map([...this.#stock].map(([length, s]) => [length, s.ready.length]))
  }

  /** Stops the helper thread and drops every ready array. */
  async dispose(): Promise<void> {
    this.#stock.clear()
    const w = this.#worker
    this.#worker = null
    this.#port?.close()
    this.#port = null
    if (w) await w.terminate()
  }

  /** Files the arrays the helper has sent so far. */
  #receive(): void {
    if (!this.#port) return
    for (let m = receiveMessageOnPort(this.#port); m; m = receiveMessageOnPort(this.#port)) {
      const array = m.message as Float32Array
      const s = this.#stock.get(array.length)
      if (!s || s.pending === 0) continue // a length no longer reserved: the array is garbage
      s.pending--
      s.ready.push(array)
    }
  }

  /** Floats reserved: the arrays wanted, or held and on their way where those are more. */
  #held(): number {
    let floats = 0
    for (const [length, s] of this.#stock) floats += length * Math.max(s.want, s.ready.length + s.pending)
    return floats
  }

  /**
   * Asks the helper for what the reservations lack, one array per length in turn (a re-run needs
   * one of each: its logits and its senses), within the budget. Reservations made in one go (the
   * same synchronous turn) are filled together.
   */
  #fill(): void {
    if (this.#filling || this.#broken) return
    this.#filling = true
    queueMicrotask(() => {
      this.#filling = false
      if (![...this.#stock.values()].some((s) => s.ready.length + s.pending < s.want)) return
      const worker = this.#thread()
      if (!worker) return
      let asked = true
      while (asked) {
        asked = false
        for (const [length, s] of this.#stock) {
          if (s.ready.length + s.pending >= s.want) continue
          s.pending++
          worker.postMessage(length)
          asked = true
        }
      }
    })
  }

  #thread(): Worker | null {
    if (this.#worker) return this.#worker
    try {
      const { port1, port2 } = new MessageChannel()
      const w = new Worker(TOUCHER, { eval: true, workerData: { port: port2 }, transferList: [port2] })
      w.unref() // never keeps a process alive
      w.on('error', () => this.#stop())
      w.on('exit', () => this.#stop())
      this.#worker = w
      this.#port = port1
      return w
    } catch {
      this.#stop() // no worker threads here: every take allocates
      return null
    }
  }

  #stop(): void {
    this.#broken = true
    this.#worker = null
    this.#port?.close()
    this.#port = null
    for (const s of this.#stock.values()) s.pending = 0
  }
}

let shared: ResidentArrays | undefined
/** The process's ResidentArrays (one helper thread and one budget for every model open in it). */
export function sharedResidentArrays(): ResidentArrays {
  return (shared ??= new ResidentArrays())
}
