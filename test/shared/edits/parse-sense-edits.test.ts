import { describe, expect, it } from 'vitest'
import { parseSenseEdits, type ParseSenseEditsOptions } from '../../../src/shared/edits/parse-sense-edits'
import { WorkbenchError } from '../../../src/shared/errors'
import { gpt2Tokenizer } from '../../../src/main/tokenizer/gpt2-tokenizer'

const tok = gpt2Tokenizer()
const opts: ParseSenseEditsOptions = { vocabSize: 50264, numSenses: 16, dModel: 8, resolveToken: (t) => tok.encode(t) }
const doc = (edits: unknown[], extra: Record<string, unknown> = {}) => ({ format: 'backpack-sense-edits', version: 1, edits, ...extra })

function invalid(input: unknown, o: ParseSenseEditsOptions = opts): WorkbenchError {
  try {
    parseSenseEdits(input, o)
  } catch (e) {
    expect(e).toBeInstanceOf(WorkbenchError)
    expect((e as WorkbenchError).code).toBe('edit-invalid')
    return e as WorkbenchError
  }
  throw new Error('expected the document to be rejected')
}

describe('parseSenseEdits', () => {
  it('resolves the issue example, token strings and defaults', () => {
    const parsed = parseSenseEdits(
      JSON.stringify(
        doc(
          [
            { kind: 'scale-sense', token: 15849, sense: 10, factor: 0 },
            { kind: 'knowledge-edit', token: ' MacBook', remove: ' Apple', add: 6574 },
            { kind: 'add-sense', token: ' nurse', sense: 3, from: { token: ' doctor', sense: 3 } },
            { kind: 'replace-sense', token: 0, sense: 15, from: { values: [1, 2, 3, 4, 5, 6, 7, 8] } },
            { kind: 'scale-contextualization', position: 2, sense: [1, 2], factor: 0.5, renormalize: true },
          ],
          { checkpoint: 'abcdef0123456789' },
        ),
      ),
      opts,
    )
    expect(parsed.checkpoint).toBe('abcdef0123456789')
    const [s, k, a, r, c] = parsed.edits
    expect(s).toEqual({ kind: 'scale-sense', index: 0, token: 15849, senses: [10], factor: 0 })
    expect(k).toMatchObject({ kind: 'knowledge-edit', token: 28084, remove: 4196, add: 6574 })
    expect(k.kind === 'knowledge-edit' && k.senses).toEqual(Array.from({ length: 16 }, (_, i) => i))
    expect(a).toMatchObject({ kind: 'add-sense', token: 15849, sense: 3, factor: 1, from: { token: tok.encode(' doctor')[0], sense: 3 } })
    expect(r.kind === 'replace-sense' && 'values' in r.from && Array.from(r.from.values)).toEqual([1, 2, 3, 4, 5, 6, 7, 8])
    expect(c).toMatchObject({ position: 2, senses: [1, 2], factor: 0.5, renormalize: true })
  })

  it('resolves a topic bag to the first token of " " + word, as the authors do', () => {
    const parsed = parseSenseEdits(doc([{ kind: 'topic', topic: 'diaries_daily_life', strength: 2 }]), opts)
    const t = parsed.edits[0]
    expect(t.kind === 'topic' && t.bag).toEqual(
      [tok.encode(' di')[0], tok.encode(' daily')[0], tok.encode(' life')[0]].sort((x, y) => x - y),
    )
  })

  it.each([
    [{ format: 'other', version: 1, edits: [] }, /format/],
    [{ format: 'backpack-sense-edits', version: 2, edits: [] }, /version 2/],
    [{ format: 'backpack-sense-edits', version: 1 }, /edits/],
    [doc([], { extra: 1 }), /unknown field "extra"/],
    ['{not json', /not valid JSON/],
    [doc([{ kind: 'shrink-sense', token: 1 }]), /edit 0 has unknown kind "shrink-sense"/],
    [doc([{ kind: 'scale-sense', token: 1, sense: 16, factor: 0 }]), /edit 0 \(scale-sense\): "sense" 16 is out of range/],
    [doc([{ kind: 'scale-sense', token: 1, sense: [1, 1], factor: 0 }]), /twice/],
    [doc([{ kind: 'scale-sense', token: 50264, factor: 0 }]), /not in the vocabulary/],
    [doc([{ kind: 'scale-sense', token: 2.5, factor: 0 }]), /not in the vocabulary/],
    [doc([{ kind: 'scale-sense', token: ' carpenter', factor: 0 }]), /not a single token/],
    [doc([{ kind: 'scale-sense', token: 1, factor: 'x' }]), /finite number/],
    [doc([{ kind: 'scale-sense', token: 1, factor: null }]), /finite number/],
    [doc([{ kind: 'scale-sense', token: 1, factor: 1, scale: 2 }]), /unknown field "scale"/],
    [doc([{ kind: 'knowledge-edit', token: 1, remove: 2, add: 2 }]), /same token/],
    [doc([{ kind: 'replace-sense', token: 1, sense: 0, from: { values: [1, 2] } }]), /d_model = 8/],
    [doc([{ kind: 'replace-sense', token: 1, sense: 0, from: { values: [1, 2, 3, 4, 5, 6, 7, 'x'] } }]), /values\[7\]/],
    [doc([{ kind: 'add-sense', token: 1, sense: 0, from: { token: 2 } }]), /"from.sense"/],
    [doc([{ kind: 'topic', topic: 'cooking', strength: 1 }]), /unknown topic/],
    [doc([{ kind: 'topic', topic: 'music', strength: 4 }]), /strength/],
    [
      doc([
        { kind: 'topic', topic: 'music', strength: 1 },
        { kind: 'topic', words: ['x'], strength: 1 },
      ]),
      /edit 1 \(topic\): only one/,
    ],
    [doc([{ kind: 'scale-contextualization', position: -1, factor: 1 }]), /position/],
    [doc([{ kind: 'scale-contextualization', position: 0, factor: -1 }]), /≥ 0/],
  ])('rejects %j', (input, message) => {
    expect(invalid(input).message).toMatch(message)
  })

  it('names the failing edit by index and kind', () => {
    const e = invalid(
      doc([
        { kind: 'scale-sense', token: 1, factor: 0 },
        { kind: 'knowledge-edit', token: 1, remove: 'x y z', add: 3 },
      ]),
    )
    expect(e.message).toMatch(/^edit 1 \(knowledge-edit\): "remove"/)
  })

  it('checks positions against maxPositions and tokens against a small vocabulary', () => {
    expect(invalid(doc([{ kind: 'scale-contextualization', position: 512, factor: 1 }]), { ...opts, maxPositions: 512 }).message).toMatch(
      /\[0, 512\)/,
    )
    expect(invalid(doc([{ kind: 'scale-sense', token: ' nurse', factor: 1 }]), { ...opts, vocabSize: 1000 }).message).toMatch(
      /outside this model/,
    )
  })
})
