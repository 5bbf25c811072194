import { execFileSync } from 'node:child_process'
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { unzipSync } from 'fflate'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { decodeNpy } from '../../../src/main/npy/npy'
import { ExperimentStore } from '../../../src/main/store/experiment-store'
import { exportRunArrays } from '../../../src/main/store/export-run-arrays'
import type { RunArrayIndex } from '../../../src/shared/store/run-array-types'
import { runsOfEveryKind } from '../../helpers/run-factories'
import { dbPath, sampleEdits, tempDir } from './helpers/temp-db'

const PY = join(import.meta.dirname, '../../../tools/.venv/bin/python3')

let tmp: ReturnType<typeof tempDir>
let store: ExperimentStore
beforeEach(async () => {
  tmp = tempDir('arrays-')
  store = await ExperimentStore.open(dbPath(tmp.dir))
})
afterEach(async () => {
  await store.close()
  tmp.cleanup()
})

/** Every run kind's arrays, by kind label, with the shapes the factories' runs must give. */
const EXPECTED: Record<string, Record<string, number[]>> = {
  predict: { logProbs: [3], 'tokens.ids': [4], 'topk.ids': [2], 'topk.probs': [2], 'topk.logits': [2], 'logProbs.ranks': [3] },
  generate: { 'baseline.logProbs': [3], 'edited.logProbs': [3], 'baseline.ids': [3], 'edited.ids': [3] },
  'suite gender-bias': { 'perProfession.removeSense': [3], 'perProfession.unmodified': [3], 'perProfession.token': [3] },
  'suite knowledge-edit': { 'cases.logOddsChange': [1], 'cases.after.pAdd': [1], 'cases.heldout.relativeChange': [1] },
  'suite topic': { 'summary.bagShare': [3], 'topics.bagShare': [1, 3], 'topics.perplexity': [1, 3] },
  'senses atlas': { 'senses.top.score': [2, 1], 'senses.norm': [2], 'senses.top.ids': [2, 1], 'senses.bottom.scores': [2, 1] },
  'senses neighbours': { 'neighbours.ids': [2], 'neighbours.scores': [2] },
  'senses reverse': { 'entries.ids': [2], 'entries.senses': [2], 'entries.scores': [2] },
  attribute: { 'contributions.value': [2], 'contributions.position': [2], 'contributions.sense': [2] },
  evaluate: { logProbs: [7], 'documents.perplexity': [2], 'documents.predicted': [2] },
}

async function exportEveryKind(): Promise<Map<string, { file: string; index: RunArrayIndex; bytes: Uint8Array }>> {
  const e = await store.save({ name: 'edited', edits: sampleEdits(0) })
  const out = new Map<string, { file: string; index: RunArrayIndex; bytes: Uint8Array }>()
  for (const run of runsOfEveryKind(0.05, [' that', ' he', ' was'])) {
    const stored = await store.addRun(e.id, run)
    const label = [run.kind, run.inputs.suite ?? run.inputs.lookup].filter(Boolean).join(' ')
    const x = await exportRunArrays(store, stored.id)
    expect(x.fileName).toBe(`run-${stored.id}.npz`)
    const file = join(tmp.dir, x.fileName)
    writeFileSync(file, x.bytes)
    out.set(label, { file, index: x.index, bytes: x.bytes })
  }
  return out
}

describe("a run's arrays as .npz for notebooks", () => {
  it('has, for every kind, the expected arrays with their shapes, dtypes and meanings in the index', async () => {
    const all = await exportEveryKind()
    expect([...all.keys()].sort()).toEqual(Object.keys(EXPECTED).sort())
    for (const [label, shapes] of Object.entries(EXPECTED)) {
      const { index, bytes } = all.get(label)!
      expect(index.run.kind, label).toBe(label.split(' ')[0])
      for (const [name, shape] of Object.entries(shapes))
        expect(index.arrays[name], `${label} ${name}`).toMatchObject({ shape, meaning: expect.any(String) })
      // the archive holds exactly the indexed arrays (and the index), each decodable
      const members = unzipSync(bytes)
      expect(Object.keys(members).sort()).toEqual([...Object.keys(index.arrays).map((n) => `${n}.npy`), 'index.json'].sort())
      expect(JSON.parse(new TextDecoder().decode(members['index.json']))).toEqual(index)
    }
    const ev = all.get('evaluate')!
    expect(decodeNpy(unzipSync(ev.bytes)['logProbs.npy']).data[0]).toBeCloseTo(-1.05, 6)
    expect(ev.index.arrays['documents.predicted'].dtype).toBe('int32')
    // the same run always gives the same bytes
    const again = await exportRunArrays(store, all.get('evaluate')!.index.run.id)
    expect(Buffer.from(again.bytes).equals(Buffer.from(ev.bytes))).toBe(true)
  })

  it.skipIf(!existsSync(PY))('numpy reads every archive: the shapes, dtypes and values match', async () => {
    const all = await exportEveryKind()
    const files = [...all.values()].map((x) => x.file)
    const script = [
      'import json, sys, numpy as np',
      'out = {}',
      'for f in sys.argv[1:]:',
      '    z = np.load(f)',
      '    idx = json.loads(z["index.json"])',
      '    out[f] = {"index": idx, "arrays": {k[:-4] if k.endswith(".npy") else k: [str(z[k].dtype), list(z[k].shape), float(np.nansum(z[k].astype(np.float64)))] for k in z.files if k != "index.json"}}',
      'print(json.dumps(out))',
    ].join('\n')
    const read = JSON.parse(execFileSync(PY, ['-c', script, ...files]).toString()) as Record<
      string,
      { index: RunArrayIndex; arrays: Record<string, [string, number[], number]> }
    >
    for (const [label, x] of all) {
      const got = read[x.file]
      expect(got.index.run.id, label).toBe(x.index.run.id)
      for (const [name, entry] of Object.entries(x.index.arrays))
        expect(got.arrays[name], `${label} ${name}`).toEqual([entry.dtype, entry.shape, expect.any(Number)])
    }
    const ev = read[all.get('evaluate')!.file].arrays
    expect(ev.logProbs[2]).toBeCloseTo(-1.05 - 1.3 - 1.55 + (-1.05 - 1.3 - 1.55 - 1.8), 5) // per document: −1 − j/4 − 0.05
    expect(read[all.get('suite gender-bias')!.file].arrays['perProfession.removeSense'][2]).toBeCloseTo(1.95 + 2.05 + 2.15, 5)
    expect(read[all.get('attribute')!.file].arrays['contributions.sense'][2]).toBe(13)
  })

  it('an unknown run id is not-found', async () => {
    await expect(exportRunArrays(store, 999)).rejects.toMatchObject({ code: 'not-found' })
    await expect(exportRunArrays(store, -1)).rejects.toMatchObject({ code: 'bad-request' })
  })
})

describe('runArrays and runDetails on odd stored runs', () => {
  it('read what is there and skip the rest: wrong types, missing fields, ragged lists, clashing blob names', async () => {
    const { runArrays } = await import('../../../src/main/store/run-arrays')
    const { runDetails } = await import('../../../src/main/store/run-details')
    const odd = [
      {
        kind: 'evaluate',
        inputs: { documents: 'x' },
        outputs: { documents: [{ name: 3, perplexity: 'high' }, null, { name: 'b', perplexity: 2 }], total: 5, logProbs: 'AACAvw==' },
      },
      {
        kind: 'senses',
        inputs: { lookup: 'atlas' },
        outputs: {
          senses: [
            { sense: 0, top: [{ id: 1, score: 2 }] },
            { sense: 1, top: [] },
          ],
        },
      },
      { kind: 'suite', inputs: { suite: 'topic' }, outputs: { topics: [{ results: 7 }], summary: [{ strength: 'one' }] } },
      { kind: 'generate', inputs: {}, outputs: { baseline: { tokens: [{ id: 'x' }] }, edited: null } },
      { kind: 'mystery', inputs: {}, outputs: { anything: [1, 2] } },
    ]
    for (const run of odd) {
      expect(() => runDetails(run)).not.toThrow()
      expect(() => runArrays({ ...run, blobs: {} })).not.toThrow()
    }
    const ev = runArrays({ ...odd[0], blobs: {} })
    expect(ev.get('documents.perplexity')).toMatchObject({ shape: [2] })
    expect(Array.from(ev.get('documents.perplexity')!.data)).toEqual([NaN, 2])
    expect(Array.from(ev.get('logProbs')!.data)).toEqual([-1])
    expect(runArrays({ ...odd[1], blobs: {} }).has('senses.top.ids')).toBe(false) // ragged: 1 and 0 tokens
    const blob = { dtype: 'float32' as const, shape: [1], data: Float32Array.from([1]) }
    expect([...runArrays({ kind: 'predict', inputs: {}, outputs: {}, blobs: { 'a/b': blob, a_b: blob } }).keys()]).toEqual(['a_b', 'a_b_2'])
  })
})
