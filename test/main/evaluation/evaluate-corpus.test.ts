import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { evaluateCorpus, type EvaluateProgress } from '../../../src/main/evaluation/evaluate-corpus'
import { predictionWindows } from '../../../src/main/evaluation/prediction-windows'
import { tokenLogProbs } from '../../../src/main/suites/sequence-metrics'
import { gpt2Tokenizer } from '../../../src/main/tokenizer/gpt2-tokenizer'
import { expectAllClose } from '../../helpers/all-close'
import { ROOT, useEngine } from '../generation/engine-fixture'

// Golden: tools/reference/evaluate_reference.py in float64 on tiny-fullvocab (n_positions 512),
// see test/fixtures/README.md. The first document needs three windows, the second one.
const G = join(ROOT, 'test/fixtures/golden/evaluate-tiny')
const read = (f: string) => JSON.parse(readFileSync(join(G, f), 'utf8'))
const input = read('input.json') as { documents: { name: string; text: string; ids: number[] }[] }
type Golden = { window: number; documents: { name: string; tokens: number; logProbs: number[] }[] }

describe('evaluateCorpus on tiny-fullvocab', () => {
  const { runner, session } = useEngine('tiny-fullvocab')
  const documents = input.documents.map((d) => ({ name: d.name, ids: gpt2Tokenizer().encode(d.text) }))

  it('tokenizes the golden texts to the golden ids, and windows them by the shared convention', () => {
    expect(documents.map((d) => d.ids)).toEqual(input.documents.map((d) => d.ids))
    expect(predictionWindows(1061, 512)).toEqual([
      { start: 0, end: 512 },
      { start: 511, end: 1023 },
      { start: 1022, end: 1061 },
    ])
  })

  for (const [what, golden, editsFile] of [
    ['the plain model', 'expected.json', null],
    ['sense edits', 'expected-edits.json', 'edits.json'],
  ] as const) {
    it(`matches the PyTorch reference's per-token log-probs and sums under ${what}`, async () => {
      const want = read(golden) as Golden
      const edits = editsFile ? await session().parseEdits(read(editsFile)) : null
      const r = await evaluateCorpus(runner(), documents, edits)
      expect(r.window).toBe(want.window)
      expect(r.edited).toBe(editsFile !== null)
      expect(r.documents.map((d) => [d.name, d.tokens, d.predicted])).toEqual(want.documents.map((d) => [d.name, d.tokens, d.tokens - 1]))
      const all = want.documents.flatMap((d) => d.logProbs)
      expect(r.logProbs.length).toBe(all.length)
      // float32 engine against the float64 reference: log p to 2e-4 nats (worst index reported)
      expectAllClose(r.logProbs, all, { atol: 2e-4 })
      r.documents.forEach((d, i) => {
        const ref = want.documents[i].logProbs.reduce((s, x) => s + x, 0)
        expect(Math.abs(d.sumLogProb - ref)).toBeLessThan(1e-5 * Math.abs(ref) + 1e-3)
      })
    })
  }

  it('gives the same log-probs as the suites’ tokenLogProbs on the same windows, and sums each document in float64', async () => {
    const short = documents.slice(1) // one window each (the golden checks above cover three)
    const r = await evaluateCorpus(runner(), short, null)
    let at = 0
    for (const [i, d] of short.entries()) {
      const lp = await tokenLogProbs(runner(), d.ids, null)
      expect(Array.from(r.logProbs.subarray(at, at + lp.length))).toEqual(Array.from(Float32Array.from(lp)))
      expect(r.documents[i].sumLogProb).toBe(lp.reduce((s, x) => s + x, 0))
      at += lp.length
    }
  })

  it('reports progress after each window and stops with cancelled when aborted', async () => {
    const seen: EvaluateProgress[] = []
    await evaluateCorpus(runner(), documents, null, { onProgress: (p) => seen.push(p) })
    expect(seen).toHaveLength(3 + 1 + 1) // windows
    expect(seen.map((p) => p.tokensDone)).toEqual([511, 1022, 1060, 1299, 1306])
    expect(seen.map((p) => p.documentsDone)).toEqual([0, 0, 1, 2, 3])
    expect(seen.every((p) => p.tokens === 1306 && p.documents === 3)).toBe(true)

    const ctrl = new AbortController()
    const after: EvaluateProgress[] = []
    const run = evaluateCorpus(runner(), documents, null, {
      signal: ctrl.signal,
      onProgress: (p) => {
        after.push(p)
        ctrl.abort()
      },
    })
    await expect(run).rejects.toMatchObject({ code: 'cancelled' })
    expect(after).toHaveLength(1)
  })

  it('refuses a document of one token with bad-request before running anything', async () => {
    await expect(evaluateCorpus(runner(), [...documents, { name: 'one', ids: [262] }], null)).rejects.toMatchObject({ code: 'bad-request' })
  })
})
