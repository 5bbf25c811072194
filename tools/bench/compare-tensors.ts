/**
 * Max-abs-error comparison relative to the reference tensor's scale (max |ref|), with the worst
 * element's multi-index — the parity measure of issue 2 (≤ 1e-4 relative to scale).
 */
export interface TensorComparison {
  name: string
  shape: number[]
  scale: number // max |ref|
  maxAbsError: number
  relativeError: number // maxAbsError / scale
  worstIndex: number[]
  ours: number
  reference: number
}

export function unravel(flat: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length)
  for (let i = shape.length - 1; i >= 0; i--) {
    idx[i] = flat % shape[i]
    flat = Math.floor(flat / shape[i])
  }
  return idx
}

export function compareTensors(name: string, shape: readonly number[], ours: Float32Array, reference: Float32Array): TensorComparison {
  const count = shape.reduce((a, b) => a * b, 1)
  if (ours.length !== count || reference.length !== count) {
    throw new Error(
      `${name}: expected ${count} values for shape [${shape.join(', ')}], ours has ${ours.length}, reference ${reference.length}`,
    )
  }
  let scale = 0
  let worst = 0
  let worstAt = 0
  for (let i = 0; i < count; i++) {
    const r = reference[i]
    scale = Math.max(scale, Math.abs(r))
    const e = Math.abs(ours[i] - r)
    // NaN in ours must count as the worst possible error
    if (e > worst || Number.isNaN(e)) {
      worst = Number.isNaN(e) ? Infinity : e
      worstAt = i
      if (worst === Infinity) break
    }
  }
  return {
    name,
    shape: [...shape],
    scale,
    maxAbsError: worst,
    relativeError: scale > 0 ? worst / scale : worst,
    worstIndex: unravel(worstAt, shape),
    ours: ours[worstAt],
    reference: reference[worstAt],
  }
}
