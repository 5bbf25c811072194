/**
 * Counts the bytes asked of the typed-array constructors by length (`new Uint8Array(n)`,
 * `new Float32Array(n)`, …): the allocations a size declared in a checkpoint header could drive
 * (the file buffer, inflated zip entries, decoded tensors). Views over existing buffers are not
 * counted. `install()` swaps the globals (the readers look them up at call time); `restore()`
 * puts the originals back. `instanceof` keeps working through Symbol.hasInstance.
 */
const originals = { Uint8Array, Float32Array, Uint32Array, ArrayBuffer }

export interface AllocationCounter {
  /** bytes counted since the last reset */
  readonly bytes: number
  /** the largest single allocation since the last reset */
  readonly largest: number
  reset(): void
  install(): void
  restore(): void
}

export function allocationCounter(): AllocationCounter {
  let bytes = 0
  let largest = 0
  const counting = (Base: new (...args: never[]) => object, bytesPerElement: number) =>
    class extends (Base as unknown as new (...args: unknown[]) => object) {
      constructor(...args: unknown[]) {
        if (typeof args[0] === 'number') {
          const n = args[0] * bytesPerElement
          bytes += n
          largest = Math.max(largest, n)
        }
        super(...args)
      }
      static override [Symbol.hasInstance](x: unknown): boolean {
        return x instanceof Base
      }
    }
  const replacements = {
    Uint8Array: counting(originals.Uint8Array, 1),
    Float32Array: counting(originals.Float32Array, 4),
    Uint32Array: counting(originals.Uint32Array, 4),
    ArrayBuffer: counting(originals.ArrayBuffer, 1),
  }
  return {
    get bytes() {
      return bytes
    },
    get largest() {
      return largest
    },
    reset() {
      bytes = 0
      largest = 0
    },
    install() {
      Object.assign(globalThis, replacements)
    },
    restore() {
      Object.assign(globalThis, originals)
    },
  }
}
