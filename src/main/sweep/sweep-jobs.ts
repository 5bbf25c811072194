import { createHash, randomBytes } from 'node:crypto'
import type { SweepPart } from '../../shared/sweep/expand-sweep'
import type { SweepMethod } from '../../shared/sweep/sweep-document'
import type { RunOrigin } from '../runs/record-run'

/**
 * What travels through Redis for a sweep: the job's data (method, request, checkpoint hash), its
 * result, and the names of the sweep's keys. BullMQ job ids may not contain ':'.
 */
export interface SweepJobData {
  sweepId: string
  index: number
  method: SweepMethod | typeof TABLE_ROWS_METHOD
  /** the method's request, edits included (validated again by the worker's dispatcher) */
  request: Record<string, unknown>
  /** content hash of the checkpoint this job must run on */
  checkpointHash: string
  /** a part of a split evaluate job: the worker returns the answer, the follower merges the parts into one run */
  part?: SweepPart
}

export interface SweepJobResult {
  /** the run, made with the method's recipe on the worker (sweep-run-codec.ts) */
  run?: string
  /** a sense-table rows job's rows (sense-table-shards.ts) */
  rows?: string
  /** a part's answer (sweep-run-codec.ts encodeValue) and where it was made */
  response?: string
  origin?: RunOrigin
  totalMs: number
  /** which worker ran it (hostname/pid) */
  worker: string
}

/** The internal job method of a sharded sense table (sense-table-shards.ts); not an API method. */
export const TABLE_ROWS_METHOD = 'senses.tableRows'

export type { SweepMeta } from '../../shared/sweep/sweep-view'

export function newSweepId(): string {
  return `sw${Date.now().toString(36)}${randomBytes(4).toString('hex')}`
}

/** BullMQ job id of one job of a sweep. */
export function jobId(sweepId: string, index: number): string {
  return `${sweepId}-${index}`
}

export function checkSweepId(id: string | undefined): string {
  if (!id || !/^sw[0-9a-z]{1,40}$/.test(id)) return ''
  return id
}

/** Redis keys of a sweep (under the queue's own prefix). */
export function sweepKeys(queue: string, sweepId: string) {
  return { meta: `backpack:${queue}:sweep:${sweepId}`, cancelled: `backpack:${queue}:sweep:${sweepId}:cancelled` }
}

/** Channel on which `sweep cancel` tells workers to abort a sweep's running jobs. */
export function cancelChannel(queue: string): string {
  return `backpack:${queue}:cancel`
}

/**
 * The stored uid of the experiment a sweep job writes: derived from (sweep, index) so a retried or
 * re-collected job finds its experiment instead of making a second one (uids are unique).
 */
export function sweepExperimentUid(sweepId: string, index: number): string {
  const h = createHash('sha256').update(`backpack-sweep\0${sweepId}\0${index}`).digest('hex')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h[16], 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`
}
