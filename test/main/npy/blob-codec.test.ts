import { describe, expect, it } from 'vitest'
import { blobToBuffer, bufferToBlob, checkBlob } from '../../../src/main/npy/blob-codec'

describe('blob codec', () => {
  it('round-trips every dtype bit for bit, including views into larger buffers', () => {
    const big = new Float32Array([9, 1.5, -0, Number.NaN, Infinity, 7])
    const cases = [
      ['float32', big.subarray(1, 5)],
      ['float64', Float64Array.from([Math.PI, -1e-300])],
      ['int32', Int32Array.from([-2147483648, 0, 2147483647])],
      ['uint8', Uint8Array.from([0, 255, 7])],
    ] as const
    for (const [dtype, data] of cases) {
      const buf = blobToBuffer(data)
      expect(buf.byteLength).toBe(data.byteLength)
      const back = bufferToBlob(dtype, buf, 'x')
      expect(back.constructor).toBe(data.constructor)
      expect(
        Buffer.from(back.buffer, back.byteOffset, back.byteLength).equals(Buffer.from(data.buffer, data.byteOffset, data.byteLength)),
      ).toBe(true)
    }
  })

  it('refuses byte lengths that are not whole values and shapes that do not match', () => {
    expect(() => bufferToBlob('float32', new Uint8Array(6), 'blob "x"')).toThrow(expect.objectContaining({ code: 'bad-request' }))
    expect(() => checkBlob('x', { dtype: 'float32', shape: [2, 2], data: new Float32Array(3) })).toThrow(
      expect.objectContaining({ code: 'bad-request' }),
    )
    expect(() => checkBlob('x', { dtype: 'int32', shape: [3], data: new Float32Array(3) })).toThrow(
      expect.objectContaining({ code: 'bad-request' }),
    )
    expect(() => checkBlob('x', { dtype: 'float32', shape: [3], data: new Float32Array(3) })).not.toThrow()
  })
})
