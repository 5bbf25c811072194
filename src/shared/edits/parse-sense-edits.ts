import { WorkbenchError } from '../errors'
import {
  MAX_EDIT_FACTOR,
  SENSE_EDITS_FORMAT,
  SENSE_EDITS_VERSION,
  type SenseEdit,
  type SenseEditDocument,
  type SenseEditKind,
} from './sense-edits'
import { TOPIC_WORDS } from './topic-words'

/**
 * Validates an untrusted sense-edit document (a JSON string or an already parsed value) and
 * resolves every token reference to an id. Pure: the caller passes the model sizes and a
 * tokenizer function. Every problem is a `WorkbenchError('edit-invalid')` whose message names
 * the edit (index and kind) and says why, with the allowed values.
 */
export interface ParseSenseEditsOptions {
  vocabSize: number
  numSenses: number
  dModel: number
  /** Tokenizes text exactly as given (no space added): all token ids. */
  resolveToken: (text: string) => readonly number[]
  /** Largest prompt length, for `scale-contextualization` positions (default: unchecked). */
  maxPositions?: number
}

/** A vector taken from another token's (unedited) sense, or given explicitly. */
export type ResolvedVectorSource = { token: number; sense: number } | { values: Float32Array }

export type ResolvedSenseEdit =
  | { kind: 'scale-sense'; index: number; token: number; senses: number[]; factor: number }
  | { kind: 'knowledge-edit'; index: number; token: number; remove: number; add: number; senses: number[] }
  | { kind: 'replace-sense'; index: number; token: number; sense: number; from: ResolvedVectorSource }
  | { kind: 'add-sense'; index: number; token: number; sense: number; from: ResolvedVectorSource; factor: number }
  | { kind: 'topic'; index: number; topic?: string; bag: number[]; strength: 0 | 1 | 2 | 3 }
  | { kind: 'scale-contextualization'; index: number; position: number; senses: number[]; factor: number; renormalize: boolean }

/** The kinds that change sense vectors everywhere the token occurs. */
export type VectorEdit = Extract<ResolvedSenseEdit, { kind: 'scale-sense' | 'knowledge-edit' | 'replace-sense' | 'add-sense' }>

export interface ParsedSenseEdits {
  checkpoint?: string
  name?: string
  edits: ResolvedSenseEdit[]
  /** the document as given, normalised to the typed shape (for storage and display) */
  document: SenseEditDocument
}

const KINDS: readonly SenseEditKind[] = ['scale-sense', 'knowledge-edit', 'replace-sense', 'add-sense', 'topic', 'scale-contextualization']

const FIELDS: Record<SenseEditKind, readonly string[]> = {
  'scale-sense': ['kind', 'token', 'sense', 'factor'],
  'knowledge-edit': ['kind', 'token', 'remove', 'add', 'senses'],
  'replace-sense': ['kind', 'token', 'sense', 'from'],
  'add-sense': ['kind', 'token', 'sense', 'from', 'factor'],
  topic: ['kind', 'topic', 'words', 'strength'],
  'scale-contextualization': ['kind', 'position', 'sense', 'factor', 'renormalize'],
}

export function isVectorEdit(e: ResolvedSenseEdit): e is VectorEdit {
  return e.kind === 'scale-sense' || e.kind === 'knowledge-edit' || e.kind === 'replace-sense' || e.kind === 'add-sense'
}

export function parseSenseEdits(input: unknown, options: ParseSenseEditsOptions): ParsedSenseEdits {
  let doc: unknown = input
  if (typeof input === 'string') {
    try {
      doc = JSON.parse(input)
    } catch (e) {
      throw new WorkbenchError('edit-invalid', `sense-edit document is not valid JSON: ${(e as Error).message}`, { cause: e })
    }
  }
  if (!isRecord(doc)) throw new WorkbenchError('edit-invalid', 'sense-edit document must be a JSON object')
  if (doc.format !== SENSE_EDITS_FORMAT) {
    throw new WorkbenchError('edit-invalid', `sense-edit document has format ${shown(doc.format)}, expected "${SENSE_EDITS_FORMAT}"`)
  }
  if (doc.version !== SENSE_EDITS_VERSION) {
    throw new WorkbenchError(
      'edit-invalid',
      `sense-edit document has version ${shown(doc.version)}; this app reads version ${SENSE_EDITS_VERSION}`,
    )
  }
  for (const key of Object.keys(doc)) {
    if (!['format', 'version', 'checkpoint', 'name', 'edits'].includes(key)) {
      throw new WorkbenchError(
        'edit-invalid',
        `sense-edit document has unknown field "${key}"; allowed: format, version, checkpoint, name, edits`,
      )
    }
  }
  if (doc.checkpoint !== undefined && (typeof doc.checkpoint !== 'string' || !/^[0-9a-f]{8,128}$/i.test(doc.checkpoint))) {
    throw new WorkbenchError('edit-invalid', 'sense-edit document "checkpoint" must be a hex content hash string')
  }
  if (doc.name !== undefined && typeof doc.name !== 'string')
    throw new WorkbenchError('edit-invalid', 'sense-edit document "name" must be a string')
  if (!Array.isArray(doc.edits)) throw new WorkbenchError('edit-invalid', 'sense-edit document "edits" must be an array')
  const edits: ResolvedSenseEdit[] = []
  doc.edits.forEach((raw: unknown, index: number) => edits.push(parseEdit(raw, index, options)))
  const topics = edits.filter((e) => e.kind === 'topic')
  if (topics.length > 1) {
    throw new WorkbenchError(
      'edit-invalid',
      `edit ${topics[1].index} (topic): only one topic edit per document is allowed (edit ${topics[0].index} is one)`,
    )
  }
  return {
    ...(doc.checkpoint !== undefined ? { checkpoint: doc.checkpoint as string } : {}),
    ...(doc.name !== undefined ? { name: doc.name as string } : {}),
    edits,
    document: {
      format: SENSE_EDITS_FORMAT,
      version: SENSE_EDITS_VERSION,
      ...(doc.checkpoint !== undefined ? { checkpoint: doc.checkpoint as string } : {}),
      ...(doc.name !== undefined ? { name: doc.name as string } : {}),
      edits: doc.edits as SenseEdit[],
    },
  }
}

function parseEdit(raw: unknown, index: number, o: ParseSenseEditsOptions): ResolvedSenseEdit {
  if (!isRecord(raw)) throw new WorkbenchError('edit-invalid', `edit ${index} must be an object with a "kind"`)
  const kind = raw.kind
  if (typeof kind !== 'string' || !(KINDS as readonly string[]).includes(kind)) {
    throw new WorkbenchError('edit-invalid', `edit ${index} has unknown kind ${shown(kind)}; allowed: ${KINDS.join(', ')}`)
  }
  const k = kind as SenseEditKind
  const fail = (why: string): never => {
    throw new WorkbenchError('edit-invalid', `edit ${index} (${k}): ${why}`)
  }
  for (const key of Object.keys(raw)) {
    if (!FIELDS[k].includes(key)) fail(`unknown field "${key}"; allowed: ${FIELDS[k].join(', ')}`)
  }
  const token = (field: string, value: unknown): number => resolveTokenRef(value, field, o, fail)
  const sense = (field: string, value: unknown): number => {
    if (!Number.isInteger(value) || (value as number) < 0 || (value as number) >= o.numSenses) {
      fail(`"${field}" ${shown(value)} is out of range: senses are integers in [0, ${o.numSenses})`)
    }
    return value as number
  }
  const senseList = (field: string, value: unknown): number[] => {
    if (value === undefined) return Array.from({ length: o.numSenses }, (_, i) => i)
    const list = Array.isArray(value) ? value : [value]
    if (list.length === 0) fail(`"${field}" is an empty list; omit it for all senses`)
    const out = list.map((s) => sense(field, s))
    if (new Set(out).size !== out.length) fail(`"${field}" lists a sense twice`)
    return out
  }
  const factor = (value: unknown, fallback?: number): number => {
    if (value === undefined && fallback !== undefined) return fallback
    if (typeof value !== 'number' || !(Math.abs(value) <= MAX_EDIT_FACTOR))
      fail(`"factor" must be a finite number in [-${MAX_EDIT_FACTOR}, ${MAX_EDIT_FACTOR}], got ${shown(value)}`)
    return value as number
  }
  const source = (value: unknown): ResolvedVectorSource => {
    if (!isRecord(value)) return fail('"from" must be {"token", "sense"} or {"values": [d_model numbers]}')
    if ('values' in value) {
      if (Object.keys(value).length !== 1) fail('"from" with "values" takes no other field')
      const v = value.values
      if (!Array.isArray(v) || v.length !== o.dModel) {
        fail(`"from.values" must be an array of d_model = ${o.dModel} numbers, got ${Array.isArray(v) ? `${v.length} values` : typeof v}`)
      }
      const values = v as unknown[]
      // the vector is stored as float32: 1e300 is a finite double but an infinite float32
      const bad = values.findIndex((x) => typeof x !== 'number' || !Number.isFinite(Math.fround(x)))
      if (bad >= 0) fail(`"from.values[${bad}]" must be a finite float32 number (|x| < 3.4e38), got ${shown(values[bad])}`)
      return { values: Float32Array.from(values as number[]) }
    }
    for (const key of Object.keys(value))
      if (key !== 'token' && key !== 'sense') fail(`"from" has unknown field "${key}"; allowed: token, sense (or values)`)
    return { token: token('from.token', value.token), sense: sense('from.sense', value.sense) }
  }

  switch (k) {
    case 'scale-sense':
      return { kind: k, index, token: token('token', raw.token), senses: senseList('sense', raw.sense), factor: factor(raw.factor) }
    case 'knowledge-edit': {
      const remove = token('remove', raw.remove)
      const add = token('add', raw.add)
      if (remove === add) fail('"remove" and "add" are the same token')
      return { kind: k, index, token: token('token', raw.token), remove, add, senses: senseList('senses', raw.senses) }
    }
    case 'replace-sense':
      return { kind: k, index, token: token('token', raw.token), sense: sense('sense', raw.sense), from: source(raw.from) }
    case 'add-sense':
      return {
        kind: k,
        index,
        token: token('token', raw.token),
        sense: sense('sense', raw.sense),
        from: source(raw.from),
        factor: factor(raw.factor, 1),
      }
    case 'topic': {
      const strength = raw.strength
      if (strength !== 0 && strength !== 1 && strength !== 2 && strength !== 3)
        fail(`"strength" must be 0, 1, 2 or 3, got ${shown(strength)}`)
      if (raw.topic === undefined && raw.words === undefined) fail('give "topic" (a built-in topic) or "words" (a bag of words), or both')
      const words: string[] = []
      if (raw.topic !== undefined) {
        if (typeof raw.topic !== 'string' || !Object.hasOwn(TOPIC_WORDS, raw.topic)) {
          fail(`unknown topic ${shown(raw.topic)}; built-in topics: ${Object.keys(TOPIC_WORDS).join(', ')}`)
        }
        words.push(...TOPIC_WORDS[raw.topic as string])
      }
      if (raw.words !== undefined) {
        if (!Array.isArray(raw.words) || raw.words.length === 0 || raw.words.some((w) => typeof w !== 'string' || w.trim() === '')) {
          fail('"words" must be a non-empty array of non-empty strings')
        }
        words.push(...(raw.words as string[]))
      }
      const bag = [...new Set(words.map((w) => topicToken(w, o, fail)))].sort((a, b) => a - b)
      return { kind: k, index, ...(typeof raw.topic === 'string' ? { topic: raw.topic } : {}), bag, strength: strength as 0 | 1 | 2 | 3 }
    }
    case 'scale-contextualization': {
      const p = raw.position
      const max = o.maxPositions ?? Number.MAX_SAFE_INTEGER
      if (!Number.isInteger(p) || (p as number) < 0 || (p as number) >= max) {
        fail(`"position" must be an integer in [0, ${o.maxPositions ?? '∞'}), got ${shown(p)}`)
      }
      if (raw.renormalize !== undefined && typeof raw.renormalize !== 'boolean') fail('"renormalize" must be true or false')
      const f = factor(raw.factor)
      if (f < 0) fail(`"factor" must be ≥ 0 so that α stays a non-negative weight, got ${f}`)
      return {
        kind: k,
        index,
        position: p as number,
        senses: senseList('sense', raw.sense),
        factor: f,
        renormalize: raw.renormalize === true,
      }
    }
  }
}

function resolveTokenRef(value: unknown, field: string, o: ParseSenseEditsOptions, fail: (why: string) => never): number {
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || value < 0 || value >= o.vocabSize)
      fail(`"${field}" token id ${value} is not in the vocabulary [0, ${o.vocabSize})`)
    return value
  }
  if (typeof value === 'string') {
    if (value.length === 0) fail(`"${field}" is an empty string`)
    const ids = o.resolveToken(value)
    if (ids.length !== 1)
      fail(
        `"${field}" ${shown(value)} is ${ids.length} tokens [${ids.slice(0, 8).join(', ')}${ids.length > 8 ? ', …' : ''}], not a single token (mind the leading space, e.g. " nurse")`,
      )
    if (ids[0] >= o.vocabSize) fail(`"${field}" ${shown(value)} is token ${ids[0]}, outside this model's vocabulary [0, ${o.vocabSize})`)
    return ids[0]
  }
  return fail(`"${field}" must be a token id or a single-token string, got ${shown(value)}`)
}

/** A topic word's token as the authors' code takes it: the first token of `' ' + word`. */
function topicToken(word: string, o: ParseSenseEditsOptions, fail: (why: string) => never): number {
  const ids = o.resolveToken(/^\s/.test(word) ? word : ' ' + word)
  if (ids.length === 0 || ids[0] >= o.vocabSize)
    fail(`topic word ${shown(word)} has no token in this model's vocabulary [0, ${o.vocabSize})`)
  return ids[0]
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** An untrusted value in an error message: JSON, at most 60 characters; never throws (deep nesting, cycles, BigInt). */
function shown(value: unknown): string {
  let text: string | undefined
  try {
    text = JSON.stringify(value)
  } catch {
    text = Array.isArray(value) ? '[…]' : typeof value === 'object' && value !== null ? '{…}' : String(typeof value)
  }
  if (text === undefined) return String(value)
  return text.length > 60 ? `${text.slice(0, 60)}…` : text
}
