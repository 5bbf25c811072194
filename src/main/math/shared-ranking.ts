import { WorkbenchError } from '../../shared/errors'
import { rankScores, type RankedScores } from './rank-scores'

/**
 * Ranking the K score rows of a sense atlas on two threads: the engine worker projects the
 * vectors (E·v, the LM-head session) into a SharedArrayBuffer, wakes the calling thread, and ranks
 * rows [rankFrom, n) itself while the calling thread ranks rows [0, rankFrom). Same rankScores
 * on the same floats, so the same results as ranking every row on one thread.
 *
 * Shared buffer layout: an Int32 state at byte 0 (0 = pending, 1 = scores written, 2 = failed),
 * then the scores (n, vocab) float32 from byte SCORES_BYTE.
 */
export const SCORES_BYTE = 8

/** Atomics.waitAsync (Node ≥ 16; typed from lib es2024 on, the project's lib is older) */
const waitAsync = (
  Atomics as unknown as { waitAsync(a: Int32Array, index: number, value: number): { async: boolean; value: Promise<string> | string } }
).waitAsync.bind(Atomics)

export interface ProjectRankArgs {
  vectors: Float32Array // (n, d_model)
  n: number
  /** SCORES_BYTE + n·vocab·4 bytes */
  shared: SharedArrayBuffer
  /** the worker ranks rows [rankFrom, n) */
  rankFrom: number
  /** values ranked per row: the first `length` of each row (padding ids excluded) */
  length: number
  top: number
  bins: number
}

/** The worker's side: `project` is the engine's E·v. Returns the rankings of rows [rankFrom, n). */
export async function projectIntoShared(
  project: (vectors: Float32Array, n: number) => Promise<Float32Array>,
  a: ProjectRankArgs,
): Promise<RankedScores[]> {
  const state = new Int32Array(a.shared, 0, 1)
  let scores: Float32Array
  try {
    const out = await project(a.vectors, a.n) // (n, vocab)
    if (a.shared.byteLength !== SCORES_BYTE + out.length * 4)
      throw new WorkbenchError(
        'bad-request',
        `projectRanked: the shared buffer has ${a.shared.byteLength} bytes, expected ${SCORES_BYTE + out.length * 4}`,
      )
    scores = new Float32Array(a.shared, SCORES_BYTE, out.length)
    scores.set(out)
    Atomics.store(state, 0, 1)
  } catch (e) {
    Atomics.store(state, 0, 2)
    throw e
  } finally {
    Atomics.notify(state, 0)
  }
  const V = a.n > 0 ? scores.length / a.n : 0
  const ranked: RankedScores[] = []
  for (let l = a.rankFrom; l < a.n; l++) ranked.push(rankScores(scores, l * V, a.length, a.top, a.bins))
  return ranked
}

/**
 * The calling thread's side: starts `request` (the engine's projectRanked with `shared`), waits
 * until the scores are written, and returns them with the request still running (its result:
 * the worker's rankings). A request that fails before writing rejects here.
 */
export async function awaitSharedScores(shared: SharedArrayBuffer, request: Promise<RankedScores[]>): Promise<Float32Array> {
  const state = new Int32Array(shared, 0, 1)
  const wait = waitAsync(state, 0, 0)
  await Promise.race([wait.async ? wait.value : Promise.resolve(), request])
  if (Atomics.load(state, 0) !== 1) {
    await request // rejects with the worker's error
    throw new WorkbenchError('internal', 'projectRanked finished without writing its scores')
  }
  return new Float32Array(shared, SCORES_BYTE, (shared.byteLength - SCORES_BYTE) / 4)
}
