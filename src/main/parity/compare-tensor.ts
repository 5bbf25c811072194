import { WorkbenchError } from '../../shared/errors'
import type { ParityTensorCheck } from '../../shared/ipc/api-types'

/** Max |engine − reference| over max |reference| per tensor (the parity tolerance of docs/engine.md). */
export const PARITY_TOLERANCE = 1e-4

export interface ReferenceTensor {
  shape: readonly number[]
  data: ArrayLike<number>
}

/** Max abs error, the scale (max |ref|), their ratio and the index (per axis) of the worst value. */
export function compareTensor(tensor: ParityTensorCheck['tensor'], actual: ArrayLike<number>, ref: ReferenceTensor): ParityTensorCheck {
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
