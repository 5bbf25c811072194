import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { WorkbenchError } from '../../../src/shared/errors'
import type { EvaluateResponse } from '../../../src/shared/ipc/api-types'
import type { SaveableMethod } from '../../../src/shared/ipc/request-schemas'
import type { RunRecipe } from '../../../src/main/runs/run-recipe'
import { ExperimentStore } from '../../../src/main/store/experiment-store'
import { SweepRecorder } from '../../../src/main/sweep/follow-sweep'
import type { SweepJobData, SweepJobResult, SweepMeta } from '../../../src/main/sweep/sweep-jobs'
import { encodeValue } from '../../../src/main/sweep/sweep-run-codec'
import { dbPath, sampleEdits, tempDir } from '../store/helpers/temp-db'

/**
 * A split evaluate job: its parts are recorded as one experiment with one run once every part is
 * in, whatever order they finish in, through the merge and the evaluate recipe  (a simple one defined
 * here, and the evaluate kind's own).
 */
let tmp: ReturnType<typeof tempDir>
beforeEach(() => {
  tmp = tempDir('sweep-parts-')
})
afterEach(() => tmp.cleanup())

const HASH = 'b'.repeat(64)
const meta: SweepMeta = { sweepId: 'swparts', name: 'corpus', jobs: 3, checkpointHash: HASH, createdAt: 1 }
const docs = ['a', 'b', 'c'].map((n) => ({ name: n, text: `text ${n}` }))
const figures = (predicted: number, sum: number) => ({
  tokens: predicted + 1,
  predicted,
  sumLogProb: sum,
  meanLogProb: sum / predicted,
  perplexity: Math.exp(-sum / predicted),
})
const answer = (i: number): EvaluateResponse => ({
  documents: [{ name: docs[i].name, ...figures(i + 1, -(i + 1)) }],
  total: { ...figures(i + 1, -(i + 1)), documents: 1 },
  window: 64,
  logProbs: '',
  edited: true,
  timingsMs: { total: 1 },
})
const part = (i: number): { data: SweepJobData; result: SweepJobResult } => ({
  data: {
    sweepId: 'swparts',
    index: i,
    method: 'evaluate.run',
    request: { documents: [docs[i]], edits: sampleEdits(2) },
    checkpointHash: HASH,
    part: { group: 0, index: i, of: 3 },
  },
  result: {
    response: encodeValue(answer(i)),
    origin: { appVersion: 't', runtimeVersion: null, executionProvider: 'cpu', checkpoint: HASH },
    totalMs: 5,
    worker: 'w',
  },
})
const merge = (parts: EvaluateResponse[]): EvaluateResponse => {
  const predicted = parts.reduce((s, p) => s + p.total.predicted, 0)
  const sum = parts.reduce((s, p) => s + p.total.sumLogProb, 0)
  return {
    ...parts[0],
    documents: parts.flatMap((p) => p.documents),
    total: { ...figures(predicted, sum), tokens: parts.reduce((s, p) => s + p.total.tokens, 0), documents: parts.length },
  }
}
const recipe: RunRecipe<'evaluate.run'> = {
  method: 'evaluate.run',
  kind: 'evaluate',
  matches: () => true,
  spec: (r) => ({ kind: 'evaluate', inputs: { documents: r.documents }, settings: {} }),
  request: (s) => ({ ...s.inputs }),
  record: (_r, res) => ({
    outputs: { documents: res.documents },
    metrics: { perplexity: res.total.perplexity, predicted: res.total.predicted },
  }),
}
const recipes = <M extends SaveableMethod>(m: M) => {
  if (m === 'evaluate.run') return recipe as unknown as RunRecipe<M>
  throw new WorkbenchError('unavailable', m)
}

describe('split evaluate jobs', () => {
  it('one experiment with one run over the whole corpus, once every part is in, in any order; idempotent', async () => {
    const store = await ExperimentStore.open(dbPath(tmp.dir))
    try {
      await store.recordCheckpoint(HASH, null, null)
      const recorder = new SweepRecorder(store, meta, merge, recipes)
      expect(await recorder.add(part(2).data, part(2).result)).toBeNull()
      expect(await recorder.add(part(0).data, part(0).result)).toBeNull()
      const done = await recorder.add(part(1).data, part(1).result)
      expect(done).toMatchObject({ index: 0, created: true, name: 'corpus #1' })
      const runs = await store.runs(done!.experimentId)
      expect(runs).toHaveLength(1)
      const run = await store.getRun(runs[0].id)
      expect(run.inputs.documents).toEqual(docs)
      expect(run.metrics).toEqual({ perplexity: Math.exp(6 / 6), predicted: 6 })
      expect(run.edits.edits).toEqual(sampleEdits(2).edits)
      const again = await new SweepRecorder(store, meta, merge, recipes).add(part(0).data, part(0).result)
      expect(again).toBeNull() // a new recorder waits for the parts again …
      const other = new SweepRecorder(store, meta, merge, recipes)
      for (const i of [0, 1]) await other.add(part(i).data, part(i).result)
      expect(await other.add(part(2).data, part(2).result)).toMatchObject({ experimentId: done!.experimentId, created: false }) // … and writes nothing new
      expect((await store.list({ limit: 10 })).total).toBe(1)
    } finally {
      await store.close()
    }
  })

  it("by default, through the evaluate kind's own merge and recipe: the pooled figures of every part's log-probs", async () => {
    const store = await ExperimentStore.open(dbPath(tmp.dir))
    try {
      await store.recordCheckpoint(HASH, null, null)
      const lp = (n: number) => Buffer.from(new Float32Array(n).fill(-1).buffer).toString('base64')
      const real = (i: number) => ({
        ...part(i),
        result: { ...part(i).result, response: encodeValue({ ...answer(i), logProbs: lp(i + 1) }) },
      })
      const recorder = new SweepRecorder(store, meta)
      for (const i of [2, 0]) expect(await recorder.add(real(i).data, real(i).result)).toBeNull()
      const done = await recorder.add(real(1).data, real(1).result)
      const run = await store.getRun((await store.runs(done!.experimentId))[0].id)
      expect(run.kind).toBe('evaluate')
      expect(run.metrics).toMatchObject({ perplexity: Math.E, meanLogProb: -1 })
      expect((run.outputs.documents as { name: string }[]).map((d) => d.name)).toEqual(['a', 'b', 'c'])
      expect(Array.from(run.blobs.logProbs.data)).toEqual(new Array(6).fill(-1))
    } finally {
      await store.close()
    }
  })
})
