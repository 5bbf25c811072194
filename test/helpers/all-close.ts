import { expect } from 'vitest'

/**
 * Numeric closeness with a stated tolerance, reporting the worst index (design.md §5).
 * - `atol`: |a - b| ≤ atol everywhere;
 * - `rtolToScale`: |a - b| ≤ rtolToScale · max|b| (the tolerance relative to the tensor's scale).
 * Both may be given (the larger bound applies). Shapes, when given, name the worst index by dims.
 */
export interface AllCloseOptions {
  atol?: number
  rtolToScale?: number
  shape?: readonly number[]
  label?: string
}

export interface AllCloseReport {
  maxAbsError: number
  worstIndex: number
  worstAt: string
  scale: number
  bound: number
}

export function allCloseReport(actual: ArrayLike<number>, expected: ArrayLike<number>, options: AllCloseOptions): AllCloseReport {
  let scale = 0
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]))
  const bound = Math.max(options.atol ?? 0, (options.rtolToScale ?? 0) * scale)
  let maxAbsError = 0
  let worstIndex = -1
  for (let i = 0; i < expected.length; i++) {
    const err = Math.abs(actual[i] - expected[i])
    if (!(err <= maxAbsError) || Number.isNaN(err)) {
      maxAbsError = Number.isNaN(err) ? Infinity : err
      worstIndex = i
    }
  }
  return { maxAbsError, worstIndex, worstAt: indexAt(worstIndex, options.shape), scale, bound }
}

export function expectAllClose(actual: ArrayLike<number>, expected: ArrayLike<number>, options: AllCloseOptions): AllCloseReport {
  if (options.atol === undefined && options.rtolToScale === undefined) throw new Error('expectAllClose needs atol or rtolToScale')
  const label = options.label ?? 'values'
  expect(actual.length, `${label}: length`).toBe(expected.length)
  const r = allCloseReport(actual, expected, options)
  if (r.maxAbsError > r.bound) {
    const i = r.worstIndex
    expect.fail(
      `${label}: max abs error ${r.maxAbsError.toExponential(3)} at ${r.worstAt} (actual ${actual[i]}, expected ${expected[i]}) ` +
        `exceeds ${r.bound.toExponential(3)} (scale ${r.scale.toExponential(3)})`,
    )
  }
  return r
}

function indexAt(flat: number, shape?: readonly number[]): string {
  if (flat < 0) return 'nowhere'
  if (!shape || shape.length === 0) return `[${flat}]`
  const idx: number[] = []
  let rest = flat
  for (let d = shape.length - 1; d >= 0; d--) {
    idx.unshift(rest % shape[d])
    rest = Math.floor(rest / shape[d])
  }
  return `[${idx.join(', ')}]`
}
