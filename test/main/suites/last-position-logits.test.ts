import { describe, expect, it } from 'vitest'
import { parseSenseEditsFor } from '../../../src/main/interventions/apply-sense-edits'
import { lastPositionLogits } from '../../../src/main/suites/last-position-logits'
import { gpt2Tokenizer } from '../../../src/main/tokenizer/gpt2-tokenizer'
import { useEngine } from './engine-fixture'

const fixture = useEngine('tiny-fullvocab')

describe('lastPositionLogits (tiny-fullvocab)', () => {
  it("equals the runner's full-vocabulary logits at the last position, with and without edits (1e-5 of scale)", async () => {
    const engine = fixture.engine()
    const runner = fixture.runner()
    const ids = gpt2Tokenizer().encode('My nurse said that the nurse was')
    const edits = parseSenseEditsFor(engine, {
      format: 'backpack-sense-edits',
      version: 1,
      edits: [
        { kind: 'scale-sense', token: ' nurse', sense: 3, factor: 0 },
        { kind: 'knowledge-edit', token: ' said', remove: ' he', add: ' she' },
        { kind: 'scale-contextualization', position: 2, factor: 0.3, renormalize: true },
      ],
    }).edits
    const targets = [339, 673, 0, 50256, 12345]
    for (const e of [null, edits]) {
      const full = await runner.run(ids, e, { positions: [ids.length - 1] })
      const got = await lastPositionLogits(runner, ids, e, targets)
      const scale = Math.max(...Array.from(full.logits, Math.abs))
      targets.forEach((v, i) => expect(Math.abs(got[i] - full.logits[v])).toBeLessThanOrEqual(1e-5 * scale))
    }
  })
})
