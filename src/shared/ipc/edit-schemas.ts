import * as z from 'zod'
import { MAX_EDIT_FACTOR, SENSE_EDITS_FORMAT, SENSE_EDITS_VERSION, type SenseEditDocument } from '../edits/sense-edits'

/**
 * Structural validator for a sense-edit document arriving over IPC/HTTP: right kinds, right
 * field types, bounded sizes. Semantic checks (token in the vocabulary, sense < k, a word that is
 * one token) belong to parseSenseEdits in src/shared/edits/, which the workbench runs after this.
 */
const tokenRef = z.union([z.int().min(0).max(1_000_000), z.string().min(1).max(200)])
const senseIndex = z.int().min(0).max(1023)
const senseSel = z.union([senseIndex, z.array(senseIndex).min(1).max(1024)])
const factor = z.number().min(-MAX_EDIT_FACTOR).max(MAX_EDIT_FACTOR)
const vectorSource = z.union([
  z.strictObject({ token: tokenRef, sense: senseIndex }),
  z.strictObject({ values: z.array(z.number()).min(1).max(65536) }),
])

export const senseEditSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('scale-sense'), token: tokenRef, sense: senseSel.optional(), factor }),
  z.strictObject({
    kind: z.literal('knowledge-edit'),
    token: tokenRef,
    remove: tokenRef,
    add: tokenRef,
    senses: z.array(senseIndex).min(1).max(1024).optional(),
  }),
  z.strictObject({ kind: z.literal('replace-sense'), token: tokenRef, sense: senseIndex, from: vectorSource }),
  z.strictObject({ kind: z.literal('add-sense'), token: tokenRef, sense: senseIndex, from: vectorSource, factor: factor.optional() }),
  z.strictObject({
    kind: z.literal('topic'),
    topic: z.string().min(1).max(100).optional(),
    words: z.array(z.string().min(1).max(200)).min(1).max(10_000).optional(),
    strength: z.union([z.literal(0), z.literal(1), z.literal(2), z.literal(3)]),
  }),
  z.strictObject({
    kind: z.literal('scale-contextualization'),
    position: z.int().min(0).max(100_000),
    sense: senseSel.optional(),
    factor,
    renormalize: z.boolean().optional(),
  }),
])

export const senseEditDocumentSchema = z.strictObject({
  format: z.literal(SENSE_EDITS_FORMAT),
  version: z.literal(SENSE_EDITS_VERSION),
  checkpoint: z.string().max(200).optional(),
  name: z.string().max(500).optional(),
  edits: z.array(senseEditSchema).max(10_000),
}) satisfies z.ZodType<SenseEditDocument>
