import { describe, expect, it } from 'vitest'
import { selectSenses } from '../../../src/main/finetune/select-senses'

/**
 * Selection on a hand-made α: 2 senses, a 3-token sequence [10, 11, 12] whose row 1 predicts the
 * suffix token 12. α[ℓ, 1, ·] puts (0.7, 0.3) on tokens (10, 11) for sense 0 and (0.2, 0.8) for
 * sense 1, so the suffix masses are (10,0) 0.7, (11,0) 0.3, (10,1) 0.2, (11,1) 0.8, token 12 none.
 */
function alpha(rows: number[][][]): Float32Array {
  return Float32Array.from(rows.flat(2)) // (sense, 3, 3)
}
const A = alpha([
  [
    [1, 0, 0],
    [0.7, 0.3, 0],
    [0.2, 0.5, 0.3],
  ],
  [
    [1, 0, 0],
    [0.2, 0.8, 0],
    [0.1, 0.1, 0.8],
  ],
])
const seq = { ids: [10, 11, 12], rows: [1], alpha: A }
const base = { loss: 'nll' as const, vocabSize: 16, textVocab: 16, numSenses: 2, lambda: 0 }

describe('selectSenses', () => {
  it('takes the top k pairs by suffix mass, with their masses', () => {
    const r = selectSenses({ ...base, examples: [{ line: 1, sequences: [seq] }], backgroundMass: new Float32Array(32), perExample: 2 })
    expect(r.selected.map((s) => [s.token, s.sense])).toEqual([
      [11, 1],
      [10, 0],
    ])
    expect(r.selected[0].suffixMass).toBeCloseTo(0.8, 6)
    expect(r.selected[0].lines).toEqual([1])
  })

  it('subtracts λ × the mean background mass', () => {
    const bg = new Float32Array(32)
    bg[11 * 2 + 1] = 0.01 // (11, 1) is common in the background
    const r = selectSenses({ ...base, lambda: 100, examples: [{ line: 1, sequences: [seq] }], backgroundMass: bg, perExample: 2 })
    expect(r.selected.map((s) => [s.token, s.sense])).toEqual([
      [10, 0],
      [11, 0],
    ])
    expect(r.perExample[0].senses.find((s) => s.token === 11 && s.sense === 1)).toBeUndefined()
  })

  it('trains the union over examples and lists every line that chose a pair', () => {
    const ex = [
      { line: 1, sequences: [seq] },
      { line: 4, sequences: [seq] },
    ]
    const r = selectSenses({ ...base, examples: ex, backgroundMass: new Float32Array(32), perExample: 1 })
    expect(r.selected).toHaveLength(1)
    expect(r.selected[0].lines).toEqual([1, 4])
  })

  it('good-v-bad subtracts the second suffix mass; pairs without positive mass are never chosen', () => {
    const r = selectSenses({
      ...base,
      loss: 'good-v-bad',
      examples: [{ line: 1, sequences: [seq, seq] }],
      backgroundMass: new Float32Array(32),
      perExample: 4,
    })
    expect(r.selected).toEqual([])
  })
})
