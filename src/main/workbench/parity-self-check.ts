import type { ParityCheckReport, ParityReferenceCheck, ParityTensorCheck } from '../../shared/ipc/api-types'
import { WorkbenchError } from '../../shared/errors'
import { compareTensor, PARITY_TOLERANCE, type ReferenceTensor } from '../parity/compare-tensor'
import { referenceSteps } from '../parity/reference-forward'
import { runReference } from '../parity/run-reference'
import { readStoredReference } from '../parity/stored-reference'
import type { BackpackEngine, ForwardOutputs } from '../runtime/backpack-engine'

export { PARITY_TOLERANCE } from '../parity/compare-tensor'

/**
 * The ids checked when a checkpoint ships no reference outputs: GPT-2's "The nurse said that she
 * would see the nurse" (a repeated token included), reduced modulo the vocabulary of small models.
 */
export const DEFAULT_PARITY_IDS = [464, 15849, 531, 326, 673, 561, 766, 262, 15849] as const

export interface ParityProgress {
  done: number
  total: number
  message: string
}

export interface ParitySelfCheckOptions {
  signal?: AbortSignal
  onProgress?: (p: ParityProgress) => void
}

const TENSORS = ['logits', 'senses', 'contextualization'] as const

/**
 * The Model view's parity self-check, for any checkpoint: runs the engine's forward pass on a few
 * token ids and compares logits, senses and α with (1) the independent float64 TypeScript forward
 * pass over the checkpoint's weights (src/main/parity, in a worker of its own) and (2) when the
 * checkpoint ships a `reference/` folder, the PyTorch outputs stored there (on its ids).
 * Passes only when every tensor of every reference is within PARITY_TOLERANCE of its scale; the
 * float64 pass must have read the very weights the engine loaded (same content hash).
 */
export async function paritySelfCheck(
  engine: Pick<BackpackEngine, 'config' | 'contentHash' | 'forward'>,
  checkpointDir: string,
  options: ParitySelfCheckOptions = {},
): Promise<ParityCheckReport> {
  const { signal, onProgress } = options
  const { config } = engine
  const stored = readStoredReference(checkpointDir, config)
  const ids = stored?.ids ?? DEFAULT_PARITY_IDS.map((x) => x % config.vocabSize).slice(0, config.nPositions)
  const total = 1 + referenceSteps(config.nLayer)

  onProgress?.({ done: 0, total, message: 'engine forward pass' })
  const started = performance.now()
  const out = await engine.forward(ids, { signal })
  const forwardMs = performance.now() - started
  onProgress?.({ done: 1, total, message: 'reading the checkpoint for the float64 reference' })

  const ref = await runReference(checkpointDir, ids, {
    signal,
    onProgress: (p) => onProgress?.({ done: 1 + p.done, total, message: `float64 reference: ${p.message}` }),
  })
  if (ref.contentHash !== engine.contentHash) {
    throw new WorkbenchError(
      'checkpoint-format',
      `the weights in ${checkpointDir} (content hash ${ref.contentHash.slice(0, 12)}…) are not those the engine loaded (${engine.contentHash.slice(0, 12)}…): the checkpoint changed on disk; load it again`,
    )
  }
  const T = ids.length
  const { vocabSize: V, numSenses: K, nEmbd: d } = config
  const shapes = { logits: [T, V], senses: [K, T, d], contextualization: [K, T, T] }
  const references: ParityReferenceCheck[] = [
    check('float64', checkpointDir, out, (t) => ({ shape: shapes[t], data: ref[t] }), ref.readMs + ref.forwardMs),
  ]
  if (stored) references.push(check('pytorch', stored.dir, out, (t) => stored[t], stored.readMs))

  return {
    checkpointDir,
    referenceDir: stored?.dir ?? null,
    tokens: T,
    ids,
    tolerance: PARITY_TOLERANCE,
    tensors: TENSORS.map((t) => worstOf(references.map((r) => r.tensors.find((x) => x.tensor === t)!))),
    references,
    passed: references.every((r) => r.passed),
    forwardMs,
  }
}

function check(
  reference: ParityReferenceCheck['reference'],
  source: string,
  out: ForwardOutputs,
  tensorOf: (t: (typeof TENSORS)[number]) => ReferenceTensor,
  ms: number,
): ParityReferenceCheck {
  const tensors = TENSORS.map((t) => ({ ...compareTensor(t, out[t], tensorOf(t)), reference }))
  return { reference, source, tensors, passed: tensors.every((t) => t.passed), ms }
}

/** The comparison with the largest relative error (a failure wins over a pass). */
function worstOf(checks: ParityTensorCheck[]): ParityTensorCheck {
  return checks.reduce((a, b) => ((Number(!b.passed) - Number(!a.passed) || b.relativeError - a.relativeError) > 0 ? b : a))
}
