import { describe, expect, it } from 'vitest'
import { vectorEditKey } from '../../../src/main/interventions/intervention-runner'
import { isVectorEdit, parseSenseEdits } from '../../../src/shared/edits/parse-sense-edits'

const vectorEdits = (edits: unknown[]) =>
  parseSenseEdits(
    { format: 'backpack-sense-edits', version: 1, edits },
    { vocabSize: 50264, numSenses: 4, dModel: 8, resolveToken: () => [] },
  ).edits.filter(isVectorEdit)

describe('vectorEditKey', () => {
  // The key prefixes one cached edited-senses entry per token. V8 hashes strings longer than
  // 16383 characters by their length alone, so a key that grew with the document made every
  // lookup compare whole keys: a blast radius over 800 edits took ~9 s instead of ~0.2 s.
  it('stays short for the largest allowed document, and tells documents apart', () => {
    const many = vectorEdits(Array.from({ length: 10_000 }, (_, i) => ({ kind: 'scale-sense', token: 1000 + i, factor: 0.5 })))
    const key = vectorEditKey(many)
    expect(key.length).toBeLessThanOrEqual(64)
    expect(vectorEditKey(many)).toBe(key)
    const other = vectorEdits(
      Array.from({ length: 10_000 }, (_, i) => ({ kind: 'scale-sense', token: 1000 + i, factor: i === 9_999 ? 0.25 : 0.5 })),
    )
    expect(vectorEditKey(other)).not.toBe(key)
    const values = (x: number) => vectorEdits([{ kind: 'replace-sense', token: 5, sense: 0, from: { values: [1, 2, 3, 4, 5, 6, 7, x] } }])
    expect(vectorEditKey(values(8))).not.toBe(vectorEditKey(values(9)))
  })
})
