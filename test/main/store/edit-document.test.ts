import { describe, expect, it } from 'vitest'
import { normalizeWord, validateEdits } from '../../../src/main/store/edit-document'
import { gpt2Tokenizer } from '../../../src/main/tokenizer/gpt2-tokenizer'

const doc = (edits: unknown[]) => ({ format: 'backpack-sense-edits', version: 1, edits })

describe('validateEdits', () => {
  it('lists every token the edits touch, by id and normalised word', () => {
    const tok = gpt2Tokenizer()
    const [nurse] = tok.encode(' nurse')
    const v = validateEdits(
      doc([
        { kind: 'scale-sense', token: ' nurse', sense: 10, factor: 0 },
        { kind: 'knowledge-edit', token: nurse, remove: ' Apple', add: ' HP' },
        { kind: 'replace-sense', token: ' doctor', sense: 1, from: { token: ' nurse', sense: 2 } },
      ]),
    )
    const words = v.tokens.map((t) => t.word)
    expect(words).toEqual(expect.arrayContaining(['nurse', 'apple', 'hp', 'doctor']))
    expect(v.tokens.filter((t) => t.tokenId === nurse)).toHaveLength(1) // deduplicated
    expect(v.document.edits).toHaveLength(3)
  })

  it('is exact when the model sizes are known, and lenient on senses otherwise', () => {
    const edit = doc([{ kind: 'scale-sense', token: ' nurse', sense: 10, factor: 0 }])
    expect(() => validateEdits(edit, { vocabSize: 50264, numSenses: 4, dModel: 16 })).toThrow(
      expect.objectContaining({ code: 'edit-invalid' }),
    )
    expect(validateEdits(edit).document.edits).toHaveLength(1)
  })

  it('requires explicit vectors in one document to have one length when d_model is unknown', () => {
    const v = (n: number) => ({ kind: 'add-sense', token: ' nurse', sense: 0, from: { values: Array(n).fill(0.5) } })
    expect(validateEdits(doc([v(8), v(8)])).document.edits).toHaveLength(2)
    expect(() => validateEdits(doc([v(8), v(9)]))).toThrow(expect.objectContaining({ code: 'edit-invalid' }))
  })

  it('rejects malformed documents with edit-invalid', () => {
    for (const bad of [
      null,
      '{',
      { format: 'x', version: 1, edits: [] },
      doc([{ kind: 'nope' }]),
      doc([{ kind: 'scale-sense', token: ' two words', factor: 1 }]),
    ]) {
      expect(() => validateEdits(bad)).toThrow(expect.objectContaining({ code: 'edit-invalid' }))
    }
  })

  it('normalises words', () => {
    expect(normalizeWord('  Nurse ')).toBe('nurse')
  })
})
