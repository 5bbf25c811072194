import { createHash } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { decodeLogProbs, evaluationResponse } from '../../../src/main/evaluation/evaluation-figures'
import { parseRequest } from '../../../src/shared/ipc/parse-request'
import { evaluateRecipe } from '../../../src/main/runs/evaluate-recipe'
import { recipeFor, recipeForSpec } from '../../../src/main/runs/recipes'
import { ExperimentStore } from '../../../src/main/store/experiment-store'

const dir = mkdtempSync(join(tmpdir(), 'bw-evaluate-recipe-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const request = parseRequest('evaluate.run', {
  documents: [
    { name: 'a.txt', text: 'The bank of the river.' },
    { name: 'b.txt', text: 'Zürich — 東京\n' },
  ],
  runId: 'r1',
})
const logProbs = Float32Array.from([-1.5, -2.25, -0.125, -3, -4.5, -0.5, -7])
const response = evaluationResponse(
  [
    { name: 'a.txt', tokens: 6, predicted: 5, sumLogProb: -11.375 },
    { name: 'b.txt', tokens: 3, predicted: 2, sumLogProb: -7.5 },
  ],
  512,
  logProbs,
  false,
  { tokenize: 1, model: 2, softmax: 3, total: 6 },
)

describe('the evaluate recipe', () => {
  it('is the registered recipe of evaluate.run and of stored evaluate runs', () => {
    expect(recipeFor('evaluate.run')).toBe(evaluateRecipe)
    expect(recipeForSpec({ kind: 'evaluate', inputs: {}, settings: {} })).toBe(evaluateRecipe)
    expect(recipeForSpec({ kind: 'predict', inputs: {}, settings: {} })).not.toBe(evaluateRecipe)
  })

  it('stores texts with their sha256, the figures as outputs and metrics, the log-probs and offsets as blobs, and gives the request back', async () => {
    const store = await ExperimentStore.open(join(dir, 'log.sqlite'))
    try {
      const spec = evaluateRecipe.spec(request)
      expect(spec).toEqual({
        kind: 'evaluate',
        inputs: {
          documents: [
            { name: 'a.txt', text: 'The bank of the river.', sha256: createHash('sha256').update('The bank of the river.').digest('hex') },
            {
              name: 'b.txt',
              text: 'Zürich — 東京\n',
              sha256: createHash('sha256').update(Buffer.from('Zürich — 東京\n', 'utf8')).digest('hex'),
            },
          ],
        },
        settings: { window: 'n_positions' },
      })
      const recorded = evaluateRecipe.record(request, response)
      const experiment = await store.save({ name: 'eval', edits: { format: 'backpack-sense-edits', version: 1, edits: [] } })
      const run = await store.addRun(experiment.id, {
        ...spec,
        ...recorded,
        appVersion: 'test',
        runtimeVersion: null,
        executionProvider: 'cpu',
        checkpoint: 'abc',
      })
      const back = await store.getRun(run.id)
      expect(back.kind).toBe('evaluate')
      expect(back.outputs).toEqual({ documents: response.documents, total: response.total, window: 512, edited: false })
      expect(back.metrics).toEqual({ perplexity: response.total.perplexity, meanLogProb: response.total.meanLogProb, predictedTokens: 7 })
      expect(back.blobs.logProbs).toMatchObject({ dtype: 'float32', shape: [7] })
      expect(Array.from(back.blobs.logProbs.data)).toEqual(Array.from(logProbs))
      expect(back.blobs.documentOffsets).toMatchObject({ dtype: 'int32', shape: [3] })
      expect(Array.from(back.blobs.documentOffsets.data)).toEqual([0, 5, 7])
      expect(back.timingsMs).toEqual({ tokenize: 1, model: 2, softmax: 3, total: 6 })
      expect(Array.from(decodeLogProbs(response))).toEqual(Array.from(logProbs))
      // the stored spec is the request again (runId and edits left out), and it validates
      const again = evaluateRecipe.request(back)
      expect(parseRequest('evaluate.run', again)).toEqual({ documents: request.documents })
    } finally {
      await store.close()
    }
  })

  it('refuses a stored text that no longer matches its sha256 (store-corrupt) and a malformed spec (bad-request)', () => {
    const spec = evaluateRecipe.spec(request)
    const docs = spec.inputs.documents as { name: string; text: string; sha256: string }[]
    const altered = { ...spec, inputs: { documents: [{ ...docs[0], text: docs[0].text + ' ' }, docs[1]] } }
    expect(() => evaluateRecipe.request(altered)).toThrow(expect.objectContaining({ code: 'store-corrupt' }))
    expect(() => evaluateRecipe.request({ ...spec, inputs: {} })).toThrow(expect.objectContaining({ code: 'bad-request' }))
    expect(() => evaluateRecipe.request({ ...spec, inputs: { documents: [{ name: 'x' }] } })).toThrow(
      expect.objectContaining({ code: 'bad-request' }),
    )
  })
})
