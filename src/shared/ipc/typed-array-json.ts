import { fromByteArray, toByteArray } from 'base64-js'

/**
 * JSON that carries Float32Array values (the tensors of `predict.forward`) over serve's HTTP:
 * each travels as `{"$float32": "<base64 of its little-endian bytes>"}` and is read back as a
 * Float32Array; every other value is plain JSON. Electron's IPC needs none of this (its
 * structured clone carries typed arrays as they are). An object of that one key is always read
 * as an array: no method answers such an object otherwise.
 */
const TAG = '$float32'

/** `JSON.stringify` with Float32Array values written as tagged base64. */
export function stringifyJson(value: unknown): string {
  return JSON.stringify(value, writeArray)
}

/** `JSON.parse` with tagged base64 values read back as Float32Array. */
export function parseJson(text: string): unknown {
  return JSON.parse(text, readArray)
}

function writeArray(_key: string, value: unknown): unknown {
  if (!(value instanceof Float32Array)) return value
  return { [TAG]: fromByteArray(new Uint8Array(value.buffer, value.byteOffset, value.byteLength)) }
}

function readArray(_key: string, value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value
  const encoded = (value as Record<string, unknown>)[TAG]
  if (typeof encoded !== 'string' || Object.keys(value).length !== 1) return value
  const bytes = toByteArray(encoded) // a fresh array at offset 0: aligned for float32
  if (bytes.byteLength % 4 !== 0) throw new SyntaxError(`${TAG}: ${bytes.byteLength} bytes is not a whole number of float32 values`)
  return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4)
}
