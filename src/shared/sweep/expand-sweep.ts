import { WorkbenchError } from '../errors'
import { SENSE_EDITS_FORMAT, SENSE_EDITS_VERSION, type SenseEditDocument } from '../edits/sense-edits'
import { MAX_SWEEP_JOBS, type SenseGrid, type SweepDocument, type SweepMethod } from './sweep-document'

/** One job of a sweep: the method, its request without edits, and the edit document it runs under. */
export interface SweepJobSpec {
  index: number
  /** the experiment's name: the edit document's own name, else derived from the sweep */
  name: string
  method: SweepMethod
  request: Record<string, unknown>
  edits: SenseEditDocument
  /** a part of a split evaluate job: the experiment (`group`, its edit document's index) it is merged into */
  part?: SweepPart
}

/** Where one part of a split job belongs: parts `0..of-1` of experiment `group`, documents in order. */
export interface SweepPart {
  group: number
  index: number
  of: number
}

/**
 * The jobs of a sweep, in document order: one per edit document, or one per grid cell (senses in
 * order, then factors). `numSenses` resolves a grid's `"senses": "all"` and bounds listed senses.
 */
export function expandSweep(doc: SweepDocument, numSenses: number): SweepJobSpec[] {
  const { method } = doc
  const docs = doc.edits ?? expandGrid(doc.grid!, numSenses)
  const name = (edits: SenseEditDocument, i: number) => edits.name ?? `${doc.name} #${i + 1}`
  const per = doc.documentsPerJob
  if (per === undefined)
    return docs.map((edits, index) => ({ index, name: name(edits, index), method, request: { ...doc.request }, edits }))
  // an evaluate sweep split by documents: every edit document × every chunk of documents
  const documents = doc.request.documents as unknown[]
  const of = Math.ceil(documents.length / per)
  if (docs.length * of > MAX_SWEEP_JOBS)
    throw new WorkbenchError(
      'bad-request',
      `sweep document: ${docs.length} edit documents × ${of} chunks of documents is more than ${MAX_SWEEP_JOBS} jobs`,
    )
  return docs.flatMap((edits, group) =>
    Array.from({ length: of }, (_, i) => ({
      index: group * of + i,
      name: name(edits, group),
      method,
      request: { ...doc.request, documents: documents.slice(i * per, (i + 1) * per) },
      edits,
      part: { group, index: i, of },
    })),
  )
}

/** The scale-sense edit documents of a grid: every chosen sense × every factor. */
export function expandGrid(grid: SenseGrid, numSenses: number): SenseEditDocument[] {
  const senses = grid.senses === 'all' ? Array.from({ length: numSenses }, (_, i) => i) : grid.senses
  const bad = senses.find((s) => s >= numSenses)
  if (bad !== undefined)
    throw new WorkbenchError('bad-request', `sweep document: grid.senses: sense ${bad} is outside [0, ${numSenses}) of this checkpoint`)
  if (senses.length * grid.factors.length > MAX_SWEEP_JOBS) {
    throw new WorkbenchError(
      'bad-request',
      `sweep document: grid: ${senses.length} senses × ${grid.factors.length} factors is more than ${MAX_SWEEP_JOBS} jobs`,
    )
  }
  const word = typeof grid.token === 'number' ? `token ${grid.token}` : JSON.stringify(grid.token)
  return senses.flatMap((sense) =>
    grid.factors.map((factor) => ({
      format: SENSE_EDITS_FORMAT,
      version: SENSE_EDITS_VERSION,
      name: `${word} sense ${sense} × ${factor}`,
      edits: [{ kind: 'scale-sense' as const, token: grid.token, sense, factor }],
    })),
  )
}
