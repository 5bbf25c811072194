import * as z from 'zod'
import { WorkbenchError } from '../../shared/errors'

/**
 * The experiment bundle (format "backpack-experiment-bundle", version 1): a self-contained JSON
 * file with experiments, their edit documents and runs (blobs as base64 of little-endian bytes),
 * and the checkpoints they reference. Documented in docs/experiments.md.
 */
export const BUNDLE_FORMAT = 'backpack-experiment-bundle'
export const BUNDLE_VERSION = 1

const json = z.record(z.string(), z.unknown())
const time = z.number().int().min(0)
const uid = z.string().min(1).max(100)
const hash = z.string().regex(/^[0-9a-fA-F]{8,128}$/)

const blob = z.strictObject({
  dtype: z.enum(['float32', 'float64', 'int32', 'uint8']),
  shape: z.array(z.number().int().min(0)).max(8),
  base64: z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/),
})

const run = z.strictObject({
  uid,
  kind: z.string().min(1).max(40),
  inputs: json,
  settings: json,
  outputs: json,
  metrics: z.record(z.string(), z.number()),
  timingsMs: z.record(z.string(), z.number()),
  appVersion: z.string().min(1).max(100),
  runtimeVersion: z.string().max(200).nullable(),
  executionProvider: z.string().max(100).nullable(),
  checkpoint: hash.nullable(),
  edits: z.unknown(),
  createdAt: time,
  blobs: z.record(z.string().min(1).max(200), blob),
})

const experiment = z.strictObject({
  uid,
  name: z.string(),
  notes: z.string(),
  tags: z.array(z.string()),
  folder: z.string(),
  parentUid: uid.nullable(),
  checkpoint: hash.nullable(),
  createdAt: time,
  updatedAt: time,
  edits: z.unknown(),
  runs: z.array(run),
})

const checkpoint = z.strictObject({
  hash,
  source: z.string().nullable(),
  config: json.nullable(),
  firstSeen: time,
})

export const bundleSchema = z.strictObject({
  format: z.literal(BUNDLE_FORMAT),
  version: z.literal(BUNDLE_VERSION),
  exportedAt: z.string(),
  appVersion: z.string(),
  checkpoints: z.array(checkpoint),
  experiments: z.array(experiment).min(1),
})

export type ExperimentBundle = z.infer<typeof bundleSchema>
export type BundleRun = z.infer<typeof run>

/** Parses an untrusted bundle (text or value); `bundle-invalid` names the first bad field. */
export function parseBundle(input: unknown): ExperimentBundle {
  let value = input
  if (typeof input === 'string' || input instanceof Uint8Array) {
    try {
      value = JSON.parse(typeof input === 'string' ? input : Buffer.from(input).toString('utf8'))
    } catch (e) {
      throw new WorkbenchError('bundle-invalid', `experiment bundle is not valid JSON: ${(e as Error).message}`, { cause: e })
    }
  }
  const head = value as { format?: unknown; version?: unknown } | null
  if (
    head &&
    typeof head === 'object' &&
    head.format === BUNDLE_FORMAT &&
    typeof head.version === 'number' &&
    head.version > BUNDLE_VERSION
  ) {
    throw new WorkbenchError(
      'bundle-invalid',
      `experiment bundle has version ${head.version}, newer than this app reads (${BUNDLE_VERSION}); update the app`,
    )
  }
  const parsed = bundleSchema.safeParse(value)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    const path = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('')
    throw new WorkbenchError(
      'bundle-invalid',
      `experiment bundle field ${path ? `$${path}` : '(root)'} is invalid: ${issue.message} (format "${BUNDLE_FORMAT}", version ${BUNDLE_VERSION} expected)`,
    )
  }
  return parsed.data
}
