/**
 * What the sweep API answers (sweeps.submit, sweeps.list, sweeps.status, sweeps.cancel) and the
 * CLI prints: plain data read from the queue, plus the experiments recorded from finished jobs.
 */

/** Facts about a sweep kept in Redis so status and cancel need only its id. */
export interface SweepMeta {
  sweepId: string
  name: string
  jobs: number
  checkpointHash: string
  createdAt: number
}

export interface SweepStatus {
  sweepId: string
  name: string
  jobs: number
  cancelled: boolean
  counts: Record<'waiting' | 'active' | 'completed' | 'failed' | 'removed', number>
  /** running jobs: index, the worker that holds each (host/pid) and how often it was taken before */
  active: { index: number; worker: string | null; attemptsMade: number }[]
  /** finished jobs per worker (host/pid) */
  completedBy: Record<string, number>
  failures: { index: number; code: string }[]
}

/** A sweep's status with its finished jobs recorded in the experiment log. */
export interface SweepProgress extends SweepStatus {
  /** every completed job recorded so far: job index → experiment id (in job order) */
  experiments: { index: number; experimentId: number; name: string }[]
  /** how many of them this call recorded (finished while no one was following, e.g. the app closed) */
  recorded: number
}

export interface SweepCancelResult {
  sweepId: string
  /** waiting jobs removed from the queue */
  removed: number
  /** jobs that were running when the cancel arrived (aborted, failed as `cancelled`, not retried) */
  aborted: number
  /** finished jobs, kept */
  completed: number
  /** jobs still running when the wait ran out (they fail as `cancelled` when they finish) */
  stillActive: number
}
