import { readFile } from 'node:fs/promises'
import { WorkbenchError } from '../../shared/errors'
import { parseSenseEdits, type ParsedSenseEdits } from '../../shared/edits/parse-sense-edits'
import type { BackpackEngine } from '../runtime/backpack-engine'
import { SenseTables } from '../senses/sense-table'
import { gpt2Tokenizer } from '../tokenizer/gpt2-tokenizer'
import { InterventionRunner, type EditedForward } from './intervention-runner'

/**
 * The entry points other modules use to run the model under a sense-edit document: validate a
 * document against an engine, load one from a file, and run a prompt with it.
 */

/**
 * A runner for the engine with the whole-vocabulary table wired in for topic edits: opened (read,
 * or built) from `tables` when a topic edit first needs it, with the progress and cancellation of
 * the call that needs it. A model session has one (`ModelSession.runner`, over the session's
 * tables); without a session each call of this gets a runner (and caches) of its own.
 */
export function analysisRunner(engine: BackpackEngine, tables: SenseTables = new SenseTables(engine)): InterventionRunner {
  return new InterventionRunner(engine, {
    senseTable: (call) => tables.open({ need: 'scores', onProgress: call.onTableProgress, signal: call.signal }),
  })
}

/** Validates an untrusted document (JSON text or value) for this engine's model. */
export function parseSenseEditsFor(
  engine: BackpackEngine,
  input: unknown,
  resolveToken?: (text: string) => number[],
): { edits: ParsedSenseEdits; warnings: string[] } {
  const { vocabSize, numSenses, nEmbd, nPositions } = engine.config
  const tok = gpt2Tokenizer()
  const edits = parseSenseEdits(input, {
    vocabSize,
    numSenses,
    dModel: nEmbd,
    maxPositions: nPositions,
    resolveToken: resolveToken ?? ((t) => tok.encode(t)),
  })
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

/** One prompt under the edits (null: unedited through the same path), with a runner of its own. */
export function applySenseEdits(
  engine: BackpackEngine,
  ids: readonly number[],
  edits: ParsedSenseEdits | null,
  options: { positions?: number[] } = {},
): Promise<EditedForward> {
  return analysisRunner(engine).run(ids, edits, options)
}
