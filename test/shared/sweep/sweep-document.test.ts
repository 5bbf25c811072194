import { describe, expect, it } from 'vitest'
import { WorkbenchError } from '../../../src/shared/errors'
import { expandSweep } from '../../../src/shared/sweep/expand-sweep'
import { parseSweepDocument } from '../../../src/shared/sweep/sweep-document'

const edit = (factor: number, name?: string) => ({
  format: 'backpack-sense-edits',
  version: 1,
  ...(name ? { name } : {}),
  edits: [{ kind: 'scale-sense', token: ' nurse', sense: 1, factor }],
})
const doc = (extra: Record<string, unknown>) => ({
  format: 'backpack-sweep',
  version: 1,
  name: 'bias',
  kind: 'predict',
  request: { text: 'The nurse said' },
  ...extra,
})
const codeOf = (fn: () => unknown) => {
  try {
    fn()
  } catch (e) {
    return (e as WorkbenchError).code
  }
  return 'none'
}

describe('sweep documents', () => {
  it('an edit list: one predict.next job per document, topK defaulted, names kept or derived', () => {
    const jobs = expandSweep(parseSweepDocument(doc({ edits: [edit(0, 'off'), edit(2)] })), 4)
    expect(jobs.map((j) => [j.index, j.name, j.method])).toEqual([
      [0, 'off', 'predict.next'],
      [1, 'bias #2', 'predict.next'],
    ])
    expect(jobs[0].request).toEqual({ text: 'The nurse said', topK: 10 })
    expect(jobs[1].edits.edits).toEqual([{ kind: 'scale-sense', token: ' nurse', sense: 1, factor: 2 }])
  })

  it('a grid: every sense × every factor, senses outer, as scale-sense documents', () => {
    const jobs = expandSweep(parseSweepDocument(doc({ grid: { kind: 'scale-sense', token: ' nurse', senses: 'all', factors: [0, 2] } })), 3)
    expect(jobs.map((j) => j.edits.edits[0])).toEqual(
      [0, 1, 2].flatMap((sense) => [0, 2].map((factor) => ({ kind: 'scale-sense', token: ' nurse', sense, factor }))),
    )
    expect(new Set(jobs.map((j) => j.name)).size).toBe(6)
    expect(expandSweep(parseSweepDocument(doc({ grid: { kind: 'scale-sense', token: 42, senses: [2], factors: [0.5] } })), 4)).toHaveLength(
      1,
    )
  })

  it('refuses malformed documents with bad-request', () => {
    for (const bad of [
      null,
      [],
      doc({}),
      doc({ edits: [edit(0)], grid: { kind: 'scale-sense', token: 'x', senses: 'all', factors: [1] } }),
      { ...doc({ edits: [edit(0)] }), version: 2 },
      { ...doc({ edits: [edit(0)] }), extra: 1 },
      doc({ edits: [edit(0)], request: { text: 'x', runId: 'r' } }),
    ]) {
      expect(
        codeOf(() => parseSweepDocument(bad)),
        JSON.stringify(bad),
      ).toBe('bad-request')
    }
    const grid = parseSweepDocument(doc({ grid: { kind: 'scale-sense', token: ' nurse', senses: [5], factors: [1] } }))
    expect(codeOf(() => expandSweep(grid, 4))).toBe('bad-request')
    const huge = parseSweepDocument(
      doc({ grid: { kind: 'scale-sense', token: ' nurse', senses: 'all', factors: Array.from({ length: 1000 }, (_, i) => i) } }),
    )
    expect(codeOf(() => expandSweep(huge, 16))).toBe('bad-request') // 16 000 jobs > 10 000
  })

  it("every kind maps to its method(s); a kind with several names one; the request is that method's", () => {
    const one = (extra: Record<string, unknown>) => parseSweepDocument(doc({ edits: [edit(0)], ...extra }))
    expect(one({ kind: 'generate', request: { text: 'x', maxNewTokens: 3 } })).toMatchObject({
      method: 'generate.run',
      request: { text: 'x', maxNewTokens: 3, strategy: 'greedy' },
    })
    expect(one({ kind: 'suite', method: 'suites.genderBias', request: {} }).request).toEqual({ optimize: true })
    expect(one({ kind: 'evaluate', request: { documents: [{ name: 'a', text: 'b' }] } }).method).toBe('evaluate.run')
    expect(expandSweep(one({ kind: 'suite', method: 'suites.knowledgeEdit', request: {} }), 4)[0]).toMatchObject({
      method: 'suites.knowledgeEdit',
      request: {},
    })
    const noEdits = { format: 'backpack-sense-edits', version: 1, edits: [] }
    expect(parseSweepDocument(doc({ kind: 'senses', method: 'senses.lookup', request: { word: 'nurse' }, edits: [noEdits] })).method).toBe(
      'senses.lookup',
    )
    for (const bad of [
      { kind: 'suite', request: {} }, // which suite?
      { kind: 'suite', method: 'predict.next', request: { text: 'x' } }, // not a suite method
      { kind: 'senses', method: 'senses.lookup', request: { word: 'nurse' } }, // lookups take no edits
      { kind: 'generate', request: { text: 'x', temperature: 0.5 } }, // greedy with a sampling setting
      { kind: 'evaluate', request: { documents: [] } },
      { kind: 'predict', request: { text: 'x', runId: 'r' } },
    ]) {
      expect(
        codeOf(() => one(bad)),
        JSON.stringify(bad),
      ).toBe('bad-request')
    }
  })
})

describe('split evaluate sweeps', () => {
  const corpus = Array.from({ length: 5 }, (_, i) => ({ name: `d${i}`, text: `text ${i}` }))
  it('every edit document × every chunk of documents, in order, each part naming its experiment', () => {
    const jobs = expandSweep(
      parseSweepDocument(
        doc({ kind: 'evaluate', request: { documents: corpus }, edits: [edit(0, 'a'), edit(2, 'b')], documentsPerJob: 2 }),
      ),
      4,
    )
    expect(jobs.map((j) => [j.index, j.name, j.part])).toEqual([
      [0, 'a', { group: 0, index: 0, of: 3 }],
      [1, 'a', { group: 0, index: 1, of: 3 }],
      [2, 'a', { group: 0, index: 2, of: 3 }],
      [3, 'b', { group: 1, index: 0, of: 3 }],
      [4, 'b', { group: 1, index: 1, of: 3 }],
      [5, 'b', { group: 1, index: 2, of: 3 }],
    ])
    expect(jobs.slice(0, 3).flatMap((j) => j.request.documents as unknown[])).toEqual(corpus)
    expect(
      expandSweep(parseSweepDocument(doc({ kind: 'evaluate', request: { documents: corpus }, edits: [edit(0)] })), 4)[0].part,
    ).toBeUndefined()
  })
  it('only evaluate splits, within the job limit', () => {
    expect(codeOf(() => parseSweepDocument(doc({ edits: [edit(0)], documentsPerJob: 2 })))).toBe('bad-request')
    expect(
      codeOf(() => parseSweepDocument(doc({ kind: 'evaluate', request: { documents: corpus }, edits: [edit(0)], documentsPerJob: 0 }))),
    ).toBe('bad-request')
    const many = parseSweepDocument(
      doc({
        kind: 'evaluate',
        request: { documents: Array.from({ length: 1000 }, (_, i) => ({ name: `d${i}`, text: 'x' })) },
        grid: { kind: 'scale-sense', token: ' nurse', senses: 'all', factors: Array.from({ length: 11 }, (_, i) => i) },
        documentsPerJob: 1,
      }),
    )
    expect(codeOf(() => expandSweep(many, 1))).toBe('bad-request') // 11 × 1000 jobs
  })
})
