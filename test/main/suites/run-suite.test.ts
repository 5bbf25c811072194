import { describe, expect, it } from 'vitest'
import { runSuite } from '../../../src/main/suites/run-suite'
import { useEngine } from './engine-fixture'

const fixture = useEngine('tiny-fullvocab')

describe('runSuite (tiny-fullvocab)', () => {
  it('dispatches by name and refuses unknown suites', async () => {
    const r = await runSuite(fixture.engine(), { suite: 'gender-bias', options: { professions: ['nurse'], optimize: false } })
    expect(r.suite).toBe('gender-bias')
    await expect(runSuite(fixture.engine(), { suite: 'toxicity' } as never)).rejects.toThrow(/unknown suite "toxicity"; suites: gender-bias, topic, knowledge-edit/)
  })
})
