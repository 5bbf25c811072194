import { readFile } from 'node:fs/promises'
import { WorkbenchError } from '../../shared/errors'
import { parseSenseEdits, type ParsedSenseEdits } from '../../shared/edits/parse-sense-edits'
import type { BackpackEngine, ForwardOutputs } from '../runtime/backpack-engine'
import { openSenseTable, type SenseTableProgress } from '../senses/sense-table'
import { gpt2Tokenizer } from '../tokenizer/gpt2-tokenizer'
import { interventionRunner, type EditedForward, type InterventionRunner } from './intervention-runner'

/**
 * The entry points other modules use to run the model under a sense-edit document: validate a
 * document against an engine, load one from a file, and run a prompt with it.
 */

/** The engine's process-wide runner, with the whole-vocabulary table wired in for topic edits. */
export function analysisRunner(engine: BackpackEngine, options: { onTableProgress?: (p: SenseTableProgress) => void; signal?: AbortSignal } = {}): InterventionRunner {
  return interventionRunner(engine, {
    senseTable: () => openSenseTable(engine, { need: 'scores', onProgress: options.onTableProgress, signal: options.signal }),
  })
}

/** Validates an untrusted document (JSON text or value) for this engine's model. */
export function parseSenseEditsFor(engine: BackpackEngine, input: unknown): { edits: ParsedSenseEdits; warnings: string[] } {
  const { vocabSize, numSenses, nEmbd, nPositions } = engine.config
  const tok = gpt2Tokenizer()
  const edits = parseSenseEdits(input, { vocabSize, numSenses, dModel: nEmbd, maxPositions: nPositions, resolveToken: (t) => tok.encode(t) })
  const warnings: string[] = []
  if (edits.checkpoint && edits.checkpoint !== engine.contentHash) {
    warnings.push(`the edits were made for checkpoint ${edits.checkpoint.slice(0, 12)}…, this model is ${engine.contentHash.slice(0, 12)}…`)
  }
  return { edits, warnings }
}

/** Reads and validates a sense-edit file. */
export async function loadSenseEdits(engine: BackpackEngine, path: string): Promise<{ edits: ParsedSenseEdits; warnings: string[] }> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (e) {
    throw new WorkbenchError('not-found', `cannot read the sense-edit file ${path}: ${(e as Error).message}`, { cause: e })
  }
  return parseSenseEditsFor(engine, text)
}

/** One prompt under the edits (null: unedited through the same path). */
export function applySenseEdits(engine: BackpackEngine, ids: readonly number[], edits: ParsedSenseEdits | null, options: { positions?: number[] } = {}): Promise<EditedForward> {
  return analysisRunner(engine).run(ids, edits, options)
}

/**
 * `forward --edits`: the same outputs as `engine.forward` (logits (pos, vocab), senses
 * (sense, pos, d_model), contextualization (sense, pos, pos)) after the edits.
 */
export async function forwardWithEditsFile(engine: BackpackEngine, ids: readonly number[], path: string): Promise<ForwardOutputs & { warnings: string[]; edits: number }> {
  const { edits, warnings } = await loadSenseEdits(engine, path)
  const out = await applySenseEdits(engine, ids, edits)
  return { logits: out.logits, senses: out.senses, contextualization: out.contextualization, timingsMs: out.timingsMs, warnings, edits: edits.edits.length }
}
