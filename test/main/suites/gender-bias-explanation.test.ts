import { describe, expect, it } from 'vitest'
import { TiedTokens } from '../../../src/main/senses/tied-tokens'
import { explainGenderBias } from '../../../src/main/suites/gender-bias-explanation'

// A 6-token "vocabulary" of 2-d rows: tokens 1 and 4 share a row.
const rows = new Float32Array([0, 1, 5, 5, 2, 3, 4, 1, 5, 5, 9, 8])
const tied = TiedTokens.fromRows(rows, 6, 2, 6)

const figures = (o: { unmodified: number; remove: number; ws?: number[]; tokens?: number[] }) => {
  const tokens = o.tokens ?? [0, 2]
  const reduction = (x: number) => (o.unmodified - x) / (o.unmodified - 1)
  return {
    sense: 10,
    settings: {
      unmodified: { meanBias: o.unmodified },
      removeSense: { meanBias: o.remove, reduction: reduction(o.remove) },
      ...(o.ws ? { optimizeSense: { meanBias: o.unmodified, reduction: 0, meanW: 1 } } : {}),
    },
    perProfession: tokens.map((token, i) => ({ profession: `p${token}`, token, ...(o.ws ? { w: o.ws[i] } : {}) })),
  }
}

describe('explainGenderBias', () => {
  it('says nothing when the sense reduces the bias and the fit moved w', () => {
    expect(explainGenderBias(figures({ unmodified: 3, remove: 1.5, ws: [0.2, 0.4] }), tied)).toEqual([])
  })

  it('explains a fit stuck at w = 1 for every profession and a sense whose removal does not help', () => {
    const why = explainGenderBias(figures({ unmodified: 2, remove: 2.01, ws: [1, 1 + 1e-6] }), tied)
    expect(why).toHaveLength(2)
    expect(why[0]).toContain('removing sense 10 does not reduce the bias')
    expect(why[1]).toContain('w = 1 for all 2 professions')
  })

  it('names the professions whose embedding rows are tied, and a nearly unbiased model', () => {
    const why = explainGenderBias(figures({ unmodified: 1.01, remove: 1.01, tokens: [1, 2, 4] }), tied)
    expect(why[0]).toMatch(/^2 of 3 professions \(" p1", " p4"\)/)
    expect(why[1]).toContain('nearly unbiased')
    expect(why.some((w) => w.includes('does not reduce'))).toBe(false) // the nearly-unbiased reason covers it
  })

  it('without tied-token information, only the figures are explained', () => {
    expect(explainGenderBias(figures({ unmodified: 2, remove: 2, tokens: [1, 4] }), null)).toHaveLength(1)
  })
})
