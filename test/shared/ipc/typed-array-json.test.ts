import { describe, expect, it } from 'vitest'
import { parseJson, stringifyJson } from '../../../src/shared/ipc/typed-array-json'

describe('typed-array JSON', () => {
  it('carries Float32Array values exactly (NaN, ±Infinity, -0 and subnormals included), nested anywhere', () => {
    const a = new Float32Array([1.5, -0, NaN, Infinity, -Infinity, 1e-45, 3.4028234663852886e38, 0.1])
    const value = { ok: true, value: { logits: a, nested: [{ senses: a.subarray(3, 6) }], ids: [1, 2], text: 'x' } }
    const text = stringifyJson(value)
    expect(text).toContain('"$float32":')
    const back = parseJson(text) as typeof value
    expect(back.value.logits).toBeInstanceOf(Float32Array)
    expect(new Uint8Array(back.value.logits.buffer)).toEqual(new Uint8Array(a.buffer)) // bit for bit
    expect(Array.from(back.value.nested[0].senses)).toEqual(Array.from(a.subarray(3, 6)))
    expect(back.value.ids).toEqual([1, 2])
    expect(back.value.text).toBe('x')
  })

  it('a view at an unaligned offset of a larger buffer, and an empty array, come back alone', () => {
    const bytes = new Uint8Array(4 * 10 + 2)
    const view = new Float32Array(bytes.buffer, 0, 10).fill(2)
    const back = parseJson(stringifyJson({ view, empty: new Float32Array(0) })) as { view: Float32Array; empty: Float32Array }
    expect(Array.from(back.view)).toEqual(Array(10).fill(2))
    expect(back.empty).toBeInstanceOf(Float32Array)
    expect(back.empty.length).toBe(0)
  })

  it('leaves plain JSON as JSON.parse reads it: objects with other keys, numbers, null', () => {
    const plain = { a: { $float32: 'AAAAAA==', other: 1 }, b: null, c: [1, 'two', { $float32: 3 }] }
    expect(parseJson(JSON.stringify(plain))).toEqual(plain)
  })

  it('refuses a tagged value that is not whole float32 values (SyntaxError, as bad JSON is)', () => {
    expect(() => parseJson('{"x":{"$float32":"AAA="}}')).toThrow(SyntaxError)
  })
})
