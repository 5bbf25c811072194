import { describe, expect, it } from 'vitest'
import { floatToHalf, toHalfArray } from '../../../src/main/senses/float16'

describe('toHalfArray', () => {
  it('equals floatToHalf bit for bit over a sweep of float32 bit patterns (normals, subnormals, ties, overflow, Inf, NaN)', () => {
    const bits = new Uint32Array(1 << 20)
    for (let i = 0; i < bits.length; i++) bits[i] = ((i * 4093 + (i >>> 3)) >>> 0) ^ ((i & 0xfff) << 20)
    // exact ties, the normal/subnormal border and the overflow border, both signs
    const edges = [
      0x3f801000, 0x3f803000, 0x38800000, 0x387fe000, 0x38001000, 0x477fe000, 0x477ff000, 0x477fefff, 0x7f800000, 0x7fc00000, 0, 0x33000000,
      0x33000001,
    ]
    edges.forEach((b, i) => {
      bits[i] = b
      bits[edges.length + i] = (b | 0x80000000) >>> 0
    })
    const values = new Float32Array(bits.buffer)
    const out = toHalfArray(values.subarray(3), new Uint16Array(values.length + 2), 5)
    for (let i = 3; i < values.length; i++)
      if (out[5 + i - 3] !== floatToHalf(values[i])) expect([i, values[i], out[5 + i - 3]]).toEqual([i, values[i], floatToHalf(values[i])])
    expect(out[0]).toBe(0) // before the offset: untouched
  })
})
