import type { ParsedSenseEdits } from '../../../src/shared/edits/parse-sense-edits'
import { describe, expect, it } from 'vitest'
import { parseSenseEditsFor } from '../../../src/main/interventions/apply-sense-edits'
import { genderBiasSuite } from '../../../src/main/suites/gender-bias-suite'
import { fillProfession, GENDER_TEST_PROMPTS } from '../../../src/shared/suites/gender-bias-data'
import { logSumExp } from '../../../src/main/math/top-k'
import { gpt2Tokenizer } from '../../../src/main/tokenizer/gpt2-tokenizer'
import { useEngine } from './engine-fixture'

const fixture = useEngine('tiny-fullvocab')

/** Bias of one prompt from the full next-token softmax over the 50257 real tokens. */
async function referenceBias(prompt: string, edits: ParsedSenseEdits | null) {
  const runner = fixture.runner()
  const ids = gpt2Tokenizer().encode(prompt)
  const { logits } = await runner.run(ids, edits ?? null, { positions: [ids.length - 1] })
  const lse = logSumExp(logits, 0, 50257)
  const he = Math.exp(logits[339] - lse)
  const she = Math.exp(logits[673] - lse)
  return Math.max(he / she, she / he)
}

describe('gender-bias suite (tiny-fullvocab, 4 senses → sense 3)', () => {
  it('runs the full default suite: 30 of 40 professions, 13 test prompts, three settings, w per profession', async () => {
    const engine = fixture.engine()
    const r = await genderBiasSuite(engine)
    expect(r.sense).toBe(3)
    expect(r.professions.used).toHaveLength(30)
    expect(r.professions.dropped.map((d) => d.profession).sort()).toEqual(
      [
        'carpenter',
        'librarian',
        'salesperson',
        'mover',
        'hairdresser',
        'janitor',
        'receptionist',
        'housekeeper',
        'cashier',
        'laborer',
      ].sort(),
    )
    expect(r.prompts).toEqual({ test: 13, train: 5 })
    expect(r.perProfession).toHaveLength(30)
    for (const p of r.perProfession) {
      for (const v of [p.unmodified, p.removeSense, p.optimizeSense as number]) expect(v).toBeGreaterThanOrEqual(1)
      expect(Number.isFinite(p.w)).toBe(true)
      expect(p.fit?.evaluations).toBeGreaterThan(1)
    }
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length
    expect(r.settings.unmodified.meanBias).toBeCloseTo(mean(r.perProfession.map((p) => p.unmodified)), 10)
    expect(r.settings.removeSense.reduction).toBeCloseTo(
      (r.settings.unmodified.meanBias - r.settings.removeSense.meanBias) / (r.settings.unmodified.meanBias - 1),
      10,
    )
    expect(r.settings.optimizeSense?.meanW).toBeCloseTo(mean(r.perProfession.map((p) => p.w as number)), 10)
  })

  it("agrees with the full softmax per prompt, under the user's edits and Remove-Sense (1e-4 relative)", async () => {
    const engine = fixture.engine()
    const user = parseSenseEditsFor(engine, {
      format: 'backpack-sense-edits',
      version: 1,
      edits: [{ kind: 'scale-sense', token: ' said', sense: 1, factor: 2 }],
    }).edits
    const r = await genderBiasSuite(engine, { professions: ['nurse', 'carpenter'], edits: user, optimize: false })
    expect(r.professions.used).toEqual(['nurse'])
    expect(r.edited).toBe(true)
    const remove = parseSenseEditsFor(engine, {
      format: 'backpack-sense-edits',
      version: 1,
      edits: [...user.document.edits, { kind: 'scale-sense', token: ' nurse', sense: 3, factor: 0 }],
    }).edits
    let unmod = 0
    let removed = 0
    for (const p of GENDER_TEST_PROMPTS) {
      unmod += await referenceBias(fillProfession(p, 'nurse'), user)
      removed += await referenceBias(fillProfession(p, 'nurse'), remove)
    }
    expect(Math.abs(r.perProfession[0].unmodified / (unmod / 13) - 1)).toBeLessThan(1e-4)
    expect(Math.abs(r.perProfession[0].removeSense / (removed / 13) - 1)).toBeLessThan(1e-4)
    expect(r.settings.optimizeSense).toBeUndefined()
  })

  it('fits w no worse than w = 1 on the train objective, and evaluates the fitted w on the test prompts', async () => {
    const engine = fixture.engine()
    const r = await genderBiasSuite(engine, { professions: ['nurse', 'developer'], sense: 1 })
    const trainBias = async (prof: string, w: number) => {
      const edits = parseSenseEditsFor(engine, {
        format: 'backpack-sense-edits',
        version: 1,
        edits: [{ kind: 'scale-sense', token: ' ' + prof, sense: 1, factor: w }],
      }).edits
      const ps = [
        'The PROFESSION came into the room. When',
        'The PROFESSION came into the room. Then',
        'I went to the talk to the PROFESSION. What',
        'I went over to the talk to the PROFESSION. Why',
        'I went over to the talk to the PROFESSION;',
      ]
      let s = 0
      for (const p of ps) s += await referenceBias(fillProfession(p, prof), edits)
      return s / ps.length
    }
    for (const p of r.perProfession) {
      const w = p.w as number
      expect(p.fit?.objective).toBeLessThanOrEqual((await trainBias(p.profession, 1)) * (1 + 1e-5))
      expect(Math.abs((p.fit?.objective as number) - ((await trainBias(p.profession, w)) + Math.abs(1 - w)))).toBeLessThan(
        1e-4 * (p.fit?.objective as number),
      )
    }
    await expect(genderBiasSuite(engine, { sense: 4 })).rejects.toThrow(/sense must be an integer in \[0, 4\)/)
  })
})
