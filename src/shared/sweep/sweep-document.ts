import * as z from 'zod'
import { WorkbenchError } from '../errors'
import { MAX_EDIT_FACTOR } from '../edits/sense-edits'
import { senseEditDocumentSchema } from '../ipc/edit-schemas'
import { REQUEST_SCHEMAS, type SaveableMethod } from '../ipc/request-schemas'
import type { KnownRunKind } from '../store/experiment-types'

/**
 * The sweep document (format "backpack-sweep", version 1): one request of one saveable method, run
 * once per sense-edit document — given as a list (`edits`) or as a grid that expands into one
 * (`grid`). Pure: parsing and validation only; expansion is in expand-sweep.ts.
 */
export const SWEEP_FORMAT = 'backpack-sweep'
export const SWEEP_VERSION = 1
/** Most jobs one sweep may expand into. */
export const MAX_SWEEP_JOBS = 10_000

/**
 * Each kind (the stored run kind) and the API methods that make it; a kind with several methods
 * names one in the document's `method`. The request is that method's, without `edits` (the sweep
 * supplies them) and `runId` (the worker sets its own).
 */
export const SWEEP_KINDS = {
  predict: ['predict.next'],
  attribute: ['predict.attribute'],
  generate: ['generate.run'],
  suite: ['suites.genderBias', 'suites.knowledgeEdit', 'suites.topic'],
  senses: ['senses.lookup', 'senses.neighbours', 'senses.reverse'],
  evaluate: ['evaluate.run'],
} as const satisfies Record<KnownRunKind, readonly SaveableMethod[]>
export type SweepKind = keyof typeof SWEEP_KINDS
export type SweepMethod = (typeof SWEEP_KINDS)[SweepKind][number]
export const SWEEP_METHODS: readonly SweepMethod[] = Object.values(SWEEP_KINDS).flat()

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

const kinds = Object.keys(SWEEP_KINDS) as [SweepKind, ...SweepKind[]]

export const sweepDocumentSchema = z
  .strictObject({
    format: z.literal(SWEEP_FORMAT),
    version: z.literal(SWEEP_VERSION),
    name: z.string().min(1).max(200),
    /** a checkpoint directory; omitted: the bundled demo checkpoint */
    checkpoint: z.string().min(1).max(4096).optional(),
    kind: z.enum(kinds),
    /** the API method, when the kind has several (suite, senses) */
    method: z.enum(SWEEP_METHODS as [SweepMethod, ...SweepMethod[]]).optional(),
    request: z.record(z.string(), z.unknown()),
    edits: z.array(senseEditDocumentSchema).min(1).max(MAX_SWEEP_JOBS).optional(),
    grid: senseGridSchema.optional(),
    /** evaluate only: split each job's documents into jobs of this many, merged into one run */
    documentsPerJob: z.int().min(1).max(1000).optional(),
  })
  .refine((d) => (d.edits === undefined) !== (d.grid === undefined), {
    message: 'give exactly one of "edits" (a list of sense-edit documents) and "grid"',
  })

/** A validated sweep document: its method resolved and its request validated (defaults filled in). */
export type SweepDocument = Omit<z.infer<typeof sweepDocumentSchema>, 'method'> & { method: SweepMethod }

/** Validates an untrusted sweep document (parsed JSON); `bad-request` naming the first bad paths. */
export function parseSweepDocument(value: unknown): SweepDocument {
  const res = sweepDocumentSchema.safeParse(value)
  if (!res.success) throw bad(res.error.issues)
  const doc = res.data
  const methods: readonly SweepMethod[] = SWEEP_KINDS[doc.kind]
  const method = doc.method ?? (methods.length === 1 ? methods[0] : undefined)
  if (!method || !methods.includes(method)) {
    throw new WorkbenchError(
      'bad-request',
      `sweep document: method: kind "${doc.kind}" runs one of ${methods.join(', ')}; got ${doc.method === undefined ? 'none' : JSON.stringify(doc.method)}`,
    )
  }
  if (doc.documentsPerJob !== undefined && method !== 'evaluate.run')
    throw new WorkbenchError(
      'bad-request',
      `sweep document: documentsPerJob: only an "evaluate" sweep splits its documents, not kind "${doc.kind}"`,
    )
  for (const key of ['edits', 'runId']) {
    if (key in doc.request)
      throw new WorkbenchError(
        'bad-request',
        `sweep document: request.${key}: not allowed in a sweep's request (${key === 'edits' ? 'the sweep supplies the edits' : 'the worker sets its own'})`,
      )
  }
  const schema = REQUEST_SCHEMAS[method]
  if (!('edits' in schema.shape) && (doc.grid || doc.edits!.some((e) => e.edits.length > 0))) {
    throw new WorkbenchError(
      'bad-request',
      `sweep document: edits: ${method} takes no sense edits; give one edit document with an empty "edits" list per job, or a kind whose method takes edits`,
    )
  }
  const req = schema.safeParse(doc.request)
  if (!req.success)
    throw bad(
      req.error.issues.map((i) => ({ ...i, path: ['request', ...i.path] })),
      `kind "${doc.kind}" (${method})`,
    )
  return { ...doc, method, request: req.data as Record<string, unknown> }
}

function bad(issues: readonly { path: PropertyKey[]; message: string }[], context?: string): WorkbenchError {
  const text = issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.map(String).join('.') : '(document)'}: ${i.message}`)
    .join('; ')
  return new WorkbenchError('bad-request', `sweep document${context ? ` for ${context}` : ''}: ${text}`)
}
