import { z } from 'zod'
import { WorkbenchError } from '../errors'
import { MAX_EDIT_FACTOR } from '../edits/sense-edits'
import { senseEditDocumentSchema } from '../ipc/edit-schemas'
import { REQUEST_SCHEMAS } from '../ipc/request-schemas'

/**
 * The sweep document (format "backpack-sweep", version 1): one request of one kind, run once per
 * sense-edit document — given as a list (`edits`) or as a grid that expands into one (`grid`).
 * Pure: parsing and validation only; expansion is in expand-sweep.ts.
 */
export const SWEEP_FORMAT = 'backpack-sweep'
export const SWEEP_VERSION = 1
/** Most jobs one sweep may expand into. */
export const MAX_SWEEP_JOBS = 10_000

/**
 * Each kind maps onto one API method and its request (minus the edits, which the sweep supplies).
 * Kinds that land later (attribute, generate, suite, evaluate) add a line here and to the worker's
 * allowed methods.
 */
export const SWEEP_KINDS = {
  predict: { method: 'predict.next', request: REQUEST_SCHEMAS['predict.next'].omit({ edits: true }) },
} as const
export type SweepKind = keyof typeof SWEEP_KINDS
export type SweepMethod = (typeof SWEEP_KINDS)[SweepKind]['method']

const tokenRef = z.union([z.int().min(0).max(1_000_000), z.string().min(1).max(200)])
const senseIndex = z.int().min(0).max(1023)

/** Every listed (or every) sense of one word × a list of factors: one scale-sense edit per cell. */
export const senseGridSchema = z.strictObject({
  kind: z.literal('scale-sense'),
  token: tokenRef,
  /** "all": every sense of the model (the submitter knows the checkpoint's sense count) */
  senses: z.union([z.literal('all'), z.array(senseIndex).min(1).max(1024)]),
  factors: z.array(z.number().min(-MAX_EDIT_FACTOR).max(MAX_EDIT_FACTOR)).min(1).max(1000),
})
export type SenseGrid = z.infer<typeof senseGridSchema>

const base = {
  format: z.literal(SWEEP_FORMAT),
  version: z.literal(SWEEP_VERSION),
  name: z.string().min(1).max(200),
  /** a checkpoint directory; omitted: the bundled demo checkpoint */
  checkpoint: z.string().min(1).max(4096).optional(),
}
const editsOrGrid = {
  edits: z.array(senseEditDocumentSchema).min(1).max(MAX_SWEEP_JOBS).optional(),
  grid: senseGridSchema.optional(),
}

export const sweepDocumentSchema = z
  .discriminatedUnion('kind', [z.strictObject({ ...base, kind: z.literal('predict'), request: SWEEP_KINDS.predict.request, ...editsOrGrid })])
  .refine((d) => (d.edits === undefined) !== (d.grid === undefined), { message: 'give exactly one of "edits" (a list of sense-edit documents) and "grid"' })

export type SweepDocument = z.infer<typeof sweepDocumentSchema>

/** Validates an untrusted sweep document (parsed JSON); `bad-request` naming the first bad paths. */
export function parseSweepDocument(value: unknown): SweepDocument {
  const res = sweepDocumentSchema.safeParse(value)
  if (!res.success) {
    const issues = res.error.issues
      .slice(0, 5)
      .map((i) => `${i.path.length ? i.path.join('.') : '(document)'}: ${i.message}`)
      .join('; ')
    throw new WorkbenchError('bad-request', `sweep document: ${issues}`)
  }
  return res.data
}
