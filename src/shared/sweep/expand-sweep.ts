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
}

/**
 * The jobs of a sweep, in document order: one per edit document, or one per grid cell (senses in
 * order, then factors). `numSenses` resolves a grid's `"senses": "all"` and bounds listed senses.
 */
export function expandSweep(doc: SweepDocument, numSenses: number): SweepJobSpec[] {
  const { method } = doc
  const docs = doc.edits ?? expandGrid(doc.grid!, numSenses)
  return docs.map((edits, index) => ({
    index,
    name: edits.name ?? `${doc.name} #${index + 1}`,
    method,
    request: { ...doc.request },
    edits,
  }))
}

/** The scale-sense edit documents of a grid: every chosen sense × every factor. */
export function expandGrid(grid: SenseGrid, numSenses: number): SenseEditDocument[] {
  const senses = grid.senses === 'all' ? Array.from({ length: numSenses }, (_, i) => i) : grid.senses
  const bad = senses.find((s) => s >= numSenses)
  if (bad !== undefined) throw new WorkbenchError('bad-request', `sweep document: grid.senses: sense ${bad} is outside [0, ${numSenses}) of this checkpoint`)
  if (senses.length * grid.factors.length > MAX_SWEEP_JOBS) {
    throw new WorkbenchError('bad-request', `sweep document: grid: ${senses.length} senses × ${grid.factors.length} factors is more than ${MAX_SWEEP_JOBS} jobs`)
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
