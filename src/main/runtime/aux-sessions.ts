import { WorkbenchError } from '../../shared/errors'
import { byteTensor, createSession, runSession, type OrtSession } from './ort'
import { ScoreExtremes } from './score-extremes'
import { SenseHalves } from './sense-halves'
import { WeightedRows } from './weighted-rows'

/**
 * The engine worker's helper sessions besides the four model graphs: the re-base Gemm, the
 * sense table's fp16 Cast, the score-extremes reduction and the int8 scoring sessions of
 * sense-table indexes. They live and run in the worker, next to the model sessions, and are
 * released with them.
 */
export class AuxSessions {
  readonly weightedRows = new WeightedRows()
  readonly senseHalves = new SenseHalves()
  #extremes: Promise<ScoreExtremes> | null = null
  readonly #int8 = new Map<number, OrtSession>()
  #nextInt8 = 1

  /** The score-extremes helper over the model's E, read once from the core (all vocab rows). */
  extremes(core: Parameters<typeof ScoreExtremes.create>[0]): Promise<ScoreExtremes> {
    if (!this.#extremes) {
      const p = ScoreExtremes.create(core)
      this.#extremes = p
      p.catch(() => {
        if (this.#extremes === p) this.#extremes = null
      })
    }
    return this.#extremes
  }

  /**
   * Opens an int8 scoring graph (`MatMulInteger` of a (1, d) uint8 `a` with a constant int8
   * initializer → int32 `y`) from a model file on the CPU; returns its handle. The file and its
   * external data may be removed once this returns: the session holds its packed copy.
   */
  async openInt8(modelPath: string): Promise<number> {
    const session = await createSession(modelPath, 'cpu', { spinning: false })
    const handle = this.#nextInt8++
    this.#int8.set(handle, session)
    return handle
  }

  /** y = a · b of an int8 scoring session: query (d) uint8 → (rows) int32. */
  async int8Scores(handle: number, query: Uint8Array): Promise<Int32Array> {
    const session = this.#int8.get(handle)
    if (!session)
      throw new WorkbenchError('not-found', `int8 scoring session ${handle} does not exist (closed, or the engine was reopened)`)
    if (!(query instanceof Uint8Array)) throw new WorkbenchError('bad-request', 'int8 scores: the query must be a Uint8Array')
    const out = await runSession(session, 'int8-sense-scores', { a: byteTensor('uint8', query, [1, query.length]) })
    return out.y.data as Int32Array // (1, rows)
  }

  closeInt8(handle: number): void {
    void this.#int8.get(handle)?.release()
    this.#int8.delete(handle)
  }

  async release(): Promise<void> {
    for (const handle of [...this.#int8.keys()]) this.closeInt8(handle)
    const extremes = this.#extremes
    this.#extremes = null
    await Promise.all([this.weightedRows.release(), this.senseHalves.release(), (await extremes?.catch(() => null))?.release()])
  }
}
