import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { WorkbenchError } from '../../shared/errors'
import type { ParityCheckReport, ParityTensorCheck } from '../../shared/ipc/api-types'
import { readNpy, type NpyArray } from '../npy/npy'
import type { BackpackEngine } from '../runtime/backpack-engine'

/** Max |engine − reference| over max |reference| per tensor (issue 2 §7). */
export const PARITY_TOLERANCE = 1e-4

/**
 * The Model view's parity self-check: runs the engine's forward pass on the token ids stored in
 * `<checkpoint>/reference/` and compares logits, senses and α with the outputs the independent
 * PyTorch implementation wrote there (`tools/reference/run_reference.py --out DIR/reference`).
 * A checkpoint without stored reference outputs answers `not-found`, never a pass.
 */
export async function paritySelfCheck(engine: BackpackEngine, checkpointDir: string, options: { signal?: AbortSignal } = {}): Promise<ParityCheckReport> {
  const dir = join(checkpointDir, 'reference')
  const files = ['ids.json', 'logits.npy', 'senses.npy', 'contextualization.npy']
  const missing = files.filter((f) => !existsSync(join(dir, f)))
  if (missing.length === files.length) {
    throw new WorkbenchError('not-found', `no stored reference outputs for this checkpoint: ${dir} does not hold ${files.join(', ')} (write them with tools/reference/run_reference.py --checkpoint ${checkpointDir} --ids … --out ${dir})`)
  }
  if (missing.length > 0) throw new WorkbenchError('checkpoint-format', `stored reference outputs in ${dir} are incomplete: missing ${missing.join(', ')}`)

  const ids = readIds(join(dir, 'ids.json'), engine.config.vocabSize, engine.config.nPositions)
  const T = ids.length
  const { vocabSize: V, numSenses: K, nEmbd: d } = engine.config
  const refs: [ParityTensorCheck['tensor'], NpyArray, number[]][] = [
    ['logits', readNpy(join(dir, 'logits.npy')), [T, V]],
    ['senses', readNpy(join(dir, 'senses.npy')), [K, T, d]],
    ['contextualization', readNpy(join(dir, 'contextualization.npy')), [K, T, T]],
  ]
  for (const [name, ref, shape] of refs) {
    if (ref.shape.length !== shape.length || ref.shape.some((n, i) => n !== shape[i])) {
      throw new WorkbenchError('checkpoint-shape', `${join(dir, name)}.npy has shape [${ref.shape.join(', ')}]; for ${T} ids and this model it must be [${shape.join(', ')}]`)
    }
  }

  const started = performance.now()
  const out = await engine.forward(ids, { signal: options.signal })
  const actual = { logits: out.logits, senses: out.senses, contextualization: out.contextualization }
  const tensors = refs.map(([name, ref]) => compareTensor(name, actual[name], ref))
  return {
    checkpointDir,
    referenceDir: dir,
    tokens: T,
    tolerance: PARITY_TOLERANCE,
    tensors,
    passed: tensors.every((t) => t.passed),
    forwardMs: performance.now() - started,
  }
}

function readIds(path: string, vocab: number, maxLength: number): number[] {
  let ids: unknown
  try {
    ids = JSON.parse(readFileSync(path, 'utf8'))
  } catch (e) {
    throw new WorkbenchError('checkpoint-format', `${path} is not JSON: ${(e as Error).message}`, { cause: e })
  }
  if (!Array.isArray(ids) || ids.length === 0 || ids.length > maxLength || !ids.every((x) => Number.isInteger(x) && x >= 0 && x < vocab)) {
    throw new WorkbenchError('checkpoint-format', `${path} must be a JSON array of 1–${maxLength} token ids, each an integer in [0, ${vocab})`)
  }
  return ids as number[]
}

/** Max abs error, the scale (max |ref|), their ratio and the index (per axis) of the worst value. */
export function compareTensor(tensor: ParityTensorCheck['tensor'], actual: Float32Array, ref: NpyArray): ParityTensorCheck {
  if (actual.length !== ref.data.length) {
    throw new WorkbenchError('runtime', `${tensor}: the engine produced ${actual.length} values, the reference holds ${ref.data.length}`)
  }
  let scale = 0
  let maxAbsError = 0
  let worst = 0
  for (let i = 0; i < ref.data.length; i++) {
    scale = Math.max(scale, Math.abs(ref.data[i]))
    const err = Math.abs(actual[i] - ref.data[i])
    // NaN in the engine's output is the worst possible error
    if (!(err <= maxAbsError)) {
      maxAbsError = Number.isNaN(err) ? Infinity : err
      worst = i
    }
  }
  const relativeError = scale > 0 ? maxAbsError / scale : maxAbsError
  const index: number[] = []
  for (let rest = worst, a = ref.shape.length - 1; a >= 0; a--) {
    index.unshift(rest % ref.shape[a])
    rest = Math.floor(rest / ref.shape[a])
  }
  return {
    tensor,
    shape: [...ref.shape],
    scale,
    maxAbsError: finite(maxAbsError),
    relativeError: finite(relativeError),
    worstIndex: index,
    actual: Number.isNaN(actual[worst]) ? null : finite(actual[worst]),
    expected: ref.data[worst],
    passed: relativeError <= PARITY_TOLERANCE,
  }
}

/** JSON has no Infinity: the largest double stands for it (the check has failed either way). */
const finite = (x: number) => (Number.isFinite(x) ? x : Math.sign(x) * Number.MAX_VALUE)
