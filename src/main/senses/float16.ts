/**
 * IEEE 754 half precision, for the on-disk whole-vocabulary sense table (halves its size).
 * Node 20 has no Float16Array; these are round-to-nearest-even conversions.
 */
const f32 = new Float32Array(1)
const u32 = new Uint32Array(f32.buffer)

export function floatToHalf(value: number): number {
  f32[0] = value
  const x = u32[0]
  const sign = (x >>> 16) & 0x8000
  const exp = (x >>> 23) & 0xff
  let mant = x & 0x7fffff
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0) // Inf / NaN
  const e = exp - 127 + 15
  if (e >= 0x1f) return sign | 0x7c00 // overflow → Inf
  if (e <= 0) {
    if (e < -10) return sign // underflow → ±0
    mant |= 0x800000
    const shift = 14 - e
    const half = mant >>> shift
    const rem = mant & ((1 << shift) - 1)
    const mid = 1 << (shift - 1)
    return sign | (rem > mid || (rem === mid && half & 1) ? half + 1 : half)
  }
  const half = (e << 10) | (mant >>> 13)
  const rem = mant & 0x1fff
  return sign | (rem > 0x1000 || (rem === 0x1000 && half & 1) ? half + 1 : half) // carry into the exponent is correct rounding
}

/** All 65536 half values as float32: decoding is one table lookup. */
export const HALF_TO_FLOAT: Float32Array = (() => {
  const t = new Float32Array(65536)
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1
    const exp = (h >>> 10) & 0x1f
    const mant = h & 0x3ff
    if (exp === 0) t[h] = sign * mant * 2 ** -24
    else if (exp === 0x1f) t[h] = mant ? Number.NaN : sign * Infinity
    else t[h] = sign * (1 + mant / 1024) * 2 ** (exp - 15)
  }
  return t
})()

export function toHalfArray(
  values: Float32Array,
  out: Uint16Array<ArrayBufferLike> = new Uint16Array(values.length),
  offset = 0,
): Uint16Array<ArrayBufferLike> {
  // the same rounding as floatToHalf, on the bits directly (no scratch write per value): the
  // normal-range case inline, everything else through floatToHalf
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length)
  for (let i = 0; i < bits.length; i++) {
    const x = bits[i]
    const exp = (x >>> 23) & 0xff
    if (exp > 112 && exp < 143) {
      const half = ((exp - 112) << 10) | ((x & 0x7fffff) >>> 13)
      const rem = x & 0x1fff
      out[offset + i] = ((x >>> 16) & 0x8000) | (rem > 0x1000 || (rem === 0x1000 && half & 1) ? half + 1 : half)
    } else out[offset + i] = floatToHalf(values[i])
  }
  return out
}
