import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { compareExperiments } from '../../../src/main/store/compare-experiments'
import { exportBundle, importBundle } from '../../../src/main/store/experiment-bundle'
import { ExperimentStore } from '../../../src/main/store/experiment-store'
import { exportRunArrays } from '../../../src/main/store/export-run-arrays'
import { COMPARISON_FORMATS, renderComparison } from '../../../src/main/store/render-comparison'
import type { SenseEditDocument } from '../../../src/shared/edits/sense-edits'
import { CHECKPOINT, runsOfEveryKind } from '../../helpers/run-factories'
import { dbPath, tempDir } from './helpers/temp-db'

let tmp: ReturnType<typeof tempDir>
let source: ExperimentStore
let fresh: ExperimentStore
beforeEach(async () => {
  tmp = tempDir('bundle-kinds-')
  source = await ExperimentStore.open(dbPath(tmp.dir, 'source.sqlite'))
  fresh = await ExperimentStore.open(dbPath(tmp.dir, 'fresh.sqlite'))
})
afterEach(async () => {
  await source.close()
  await fresh.close()
  tmp.cleanup()
})

const doc = (edits: SenseEditDocument['edits']): SenseEditDocument => ({
  format: 'backpack-sense-edits',
  version: 1,
  checkpoint: CHECKPOINT,
  edits,
})

describe('bundles carry runs of every kind', () => {
  it('a bundle imported into a fresh database gives the same runs, blobs and arrays, and exactly the same comparison', async () => {
    const base = await source.save({ name: 'baseline', edits: doc([]) })
    const edited = await source.save({ name: 'edited', edits: doc([{ kind: 'scale-sense', token: ' nurse', sense: 10, factor: 0 }]) })
    for (const run of runsOfEveryKind(0, null)) await source.addRun(base.id, run)
    for (const run of runsOfEveryKind(0.05, [' that', ' he', ' was'])) await source.addRun(edited.id, run)

    const bundle = JSON.parse(JSON.stringify(await exportBundle(source, [base.id, edited.id], 'test')))
    expect(bundle.experiments.flatMap((e: { runs: { kind: string }[] }) => e.runs.map((r) => r.kind))).toHaveLength(20)
    const result = await importBundle(fresh, bundle)
    const ids = result.experiments.map((e) => e.id)
    expect(result.experiments.map((e) => e.runs)).toEqual([10, 10])

    // every run, blobs included, comes back as it was
    const before = await source.runs([base.id, edited.id])
    const after = await fresh.runs(ids)
    expect(after.map((r) => [r.kind, r.inputs, r.settings, r.outputs, r.metrics])).toEqual(
      before.map((r) => [r.kind, r.inputs, r.settings, r.outputs, r.metrics]),
    )
    for (const [i, r] of before.entries()) {
      const [a, b] = [await source.getRun(r.id), await fresh.getRun(after[i].id)]
      expect(Object.keys(b.blobs)).toEqual(Object.keys(a.blobs))
      for (const name of Object.keys(a.blobs)) expect(Array.from(b.blobs[name].data)).toEqual(Array.from(a.blobs[name].data))
      expect(
        Buffer.from((await exportRunArrays(fresh, after[i].id)).bytes).equals(Buffer.from((await exportRunArrays(source, r.id)).bytes)),
      ).toBe(true)
    }

    // a fresh database numbers experiments and runs as the source did: the comparison is identical
    for (const diffOnly of [true, false]) {
      const a = await compareExperiments(source, [base.id, edited.id], { diffOnly })
      const b = await compareExperiments(fresh, ids, { diffOnly })
      expect(b).toEqual(a)
      for (const format of COMPARISON_FORMATS) expect(renderComparison(b, format)).toBe(renderComparison(a, format))
      expect(a.generations.length + a.details.length).toBeGreaterThan(0)
    }
  })
})
