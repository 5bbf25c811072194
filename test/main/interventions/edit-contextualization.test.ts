import { describe, expect, it } from 'vitest'
import { editAlphaRows, editContextualization } from '../../../src/main/interventions/edit-contextualization'
import { parseSenseEdits } from '../../../src/shared/edits/parse-sense-edits'
import { ArrayEngine } from './array-engine'

const parse = (edits: unknown[]) =>
  parseSenseEdits({ format: 'backpack-sense-edits', version: 1, edits }, { vocabSize: 40, numSenses: 4, dModel: 8, resolveToken: () => [] })
    .edits as never

describe('editContextualization / editAlphaRows', () => {
  it('scales column p of rows i ≥ p only, and renormalises rows to sum 1 when asked', async () => {
    const ids = [1, 2, 3, 4, 5]
    const alpha = await new ArrayEngine().contextualize(ids)
    const n = ids.length
    const plain = editContextualization(alpha, n, parse([{ kind: 'scale-contextualization', position: 2, sense: 1, factor: 0.5 }]))
    for (let l = 0; l < 4; l++)
      for (let i = 0; i < n; i++)
        for (let j = 0; j < n; j++) {
          const k = (l * n + i) * n + j
          expect(plain[k]).toBe(l === 1 && j === 2 && i >= 2 ? Math.fround(alpha[k] * 0.5) : alpha[k])
        }
    const ren = editContextualization(alpha, n, parse([{ kind: 'scale-contextualization', position: 0, factor: 0, renormalize: true }]))
    expect(Array.from(ren.subarray(0, n))).toEqual([0, 0, 0, 0, 0]) // row 0 had all its mass on position 0
    for (let i = 1; i < n; i++) expect(ren.subarray(i * n, i * n + n).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6)
  })

  it('on selected rows equals the same rows of the full edit (incremental decoding)', async () => {
    const ids = [4, 8, 15, 16, 23, 42 % 40]
    const n = ids.length
    const alpha = await new ArrayEngine().contextualize(ids)
    const edits = parse([
      { kind: 'scale-contextualization', position: 1, factor: 2, renormalize: true },
      { kind: 'scale-contextualization', position: 4, sense: [0, 3], factor: 0 },
    ])
    const full = editContextualization(alpha, n, edits)
    const queries = [3, 5]
    const rows = new Float32Array(4 * queries.length * n)
    for (let l = 0; l < 4; l++)
      queries.forEach((i, q) => rows.set(alpha.subarray((l * n + i) * n, (l * n + i + 1) * n), (l * queries.length + q) * n))
    const edited = editAlphaRows(rows, queries, n, edits)
    for (let l = 0; l < 4; l++)
      queries.forEach((i, q) =>
        expect(Array.from(edited.subarray((l * queries.length + q) * n, (l * queries.length + q + 1) * n))).toEqual(
          Array.from(full.subarray((l * n + i) * n, (l * n + i + 1) * n)),
        ),
      )
    expect(() => editAlphaRows(rows, queries, 3, edits)).toThrow(/outside this prompt/)
  })
})
