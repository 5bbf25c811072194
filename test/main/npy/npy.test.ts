import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { afterAll, describe, expect, it } from 'vitest'
import { WorkbenchError } from '../../../src/shared/errors'
import { decodeNpy, encodeNpy, readNpy, writeNpy } from '../../../src/main/npy/npy'
import { FIXTURES } from '../runtime/core-fixture'

const dir = mkdtempSync(join(tmpdir(), 'backpack-npy-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('npy', () => {
  it('round-trips float32 arrays with their shape', () => {
    const data = Float32Array.from({ length: 24 }, (_, i) => i * 0.25 - 3)
    const path = join(dir, 'a.npy')
    writeNpy(path, [2, 3, 4], data)
    const back = readNpy(path)
    expect(back.shape).toEqual([2, 3, 4])
    expect(Array.from(back.data)).toEqual(Array.from(data))
    const bytes = readFileSync(path)
    expect((10 + bytes.readUInt16LE(8)) % 64).toBe(0) // header padded as numpy does
    expect(readNpy(join(dir, 'a.npy')).data.length).toBe(24)
    writeNpy(join(dir, 'v.npy'), [3], new Float32Array([1, 2, 3]))
    expect(readNpy(join(dir, 'v.npy')).shape).toEqual([3])
  })

  it('reads the numpy-written golden fixtures', () => {
    const g = readNpy(join(FIXTURES, 'golden/odd-safetensors/contextualization.npy'))
    expect(g.shape).toEqual([8, 12, 12])
    expect(g.data[0]).toBeCloseTo(1, 6) // α[0, 0, 0] = 1
  })

  it('writes files numpy reads back (when the tools venv exists)', () => {
    const py = join(import.meta.dirname, '../../../tools/.venv/bin/python')
    if (!existsSync(py)) return
    const path = join(dir, 'np.npy')
    writeNpy(path, [2, 2], new Float32Array([1.5, -2, 3, 4]))
    const out = execFileSync(py, ['-c', `import numpy as np; a = np.load(${JSON.stringify(path)}); print(a.dtype, a.shape, a.sum())`])
      .toString()
      .trim()
    expect(out).toBe('float32 (2, 2) 6.5')
  })

  it('rejects malformed files with bad-request', () => {
    const good = encodeNpy([2], new Float32Array([1, 2]))
    const cases: Uint8Array[] = [
      new Uint8Array([1, 2, 3]),
      good.subarray(0, good.length - 1),
      Uint8Array.from(new TextEncoder().encode(new TextDecoder('latin1').decode(good).replace('<f4', '<i4')), (c) => c),
    ]
    for (const c of cases) expect(() => decodeNpy(c)).toThrow(WorkbenchError)
    expect(() => encodeNpy([3], new Float32Array(2))).toThrow(WorkbenchError)
    writeFileSync(join(dir, 'bad.npy'), 'hello')
    expect(() => readNpy(join(dir, 'bad.npy'))).toThrow(/bad\.npy/)
  })
})
