import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { compareExperiments } from '../../../src/main/store/compare-experiments'
import { ExperimentStore } from '../../../src/main/store/experiment-store'
import type { SenseEditDocument } from '../../../src/shared/edits/sense-edits'
import { fakeRunner } from './helpers/fake-runner'
import { dbPath, tempDir } from './helpers/temp-db'

let tmp: ReturnType<typeof tempDir>
let store: ExperimentStore
beforeEach(async () => {
  tmp = tempDir('cmp-')
  store = await ExperimentStore.open(dbPath(tmp.dir))
})
afterEach(async () => {
  await store.close()
  tmp.cleanup()
})

const doc = (edits: SenseEditDocument['edits']): SenseEditDocument => ({ format: 'backpack-sense-edits', version: 1, edits })

async function three() {
  const a = await store.save({
    name: 'A',
    edits: doc([
      { kind: 'scale-sense', token: ' nurse', sense: 10, factor: 0 },
      { kind: 'knowledge-edit', token: ' Brady', remove: ' Patriots', add: ' Colts' },
    ]),
  })
  // same nurse edit written by id (15849 is " nurse"), a different factor on sense 3, no knowledge edit
  const b = await store.save({
    name: 'B',
    edits: doc([
      { kind: 'scale-sense', token: 15849, sense: 10, factor: 0 },
      { kind: 'scale-sense', token: ' nurse', sense: 3, factor: 2 },
    ]),
  })
  const c = await store.save({
    name: 'C',
    edits: doc([
      { kind: 'scale-sense', token: ' nurse', sense: 10, factor: 0.5 },
      { kind: 'scale-sense', token: ' nurse', sense: 3, factor: 2 },
    ]),
  })
  return [a, b, c]
}

describe('compareExperiments', () => {
  it('diffs edit lists: same, changed factor, present in some only', async () => {
    const [a, b, c] = await three()
    const cmp = await compareExperiments(store, [a.id, b.id, c.id])
    const row = (prefix: string) => cmp.edits.find((r) => r.key.startsWith(prefix))!
    const nurse10 = row('scale-sense token=" nurse"#15849 sense=10')
    expect(nurse10.status).toBe('changed')
    expect(nurse10.changedFields).toEqual(['factor'])
    expect(nurse10.values).toEqual(['factor=0', 'factor=0', 'factor=0.5'])
    expect(row('scale-sense token=" nurse"#15849 sense=3')).toMatchObject({ status: 'partial', values: [null, 'factor=2', 'factor=2'] })
    expect(row('knowledge-edit')).toMatchObject({ status: 'partial', values: [expect.stringContaining('Colts'), null, null] })

    const ab = await compareExperiments(store, [a.id, b.id])
    expect(ab.edits.find((r) => r.key.includes('sense=10'))!.status).toBe('same')
    const diffOnly = await compareExperiments(store, [a.id, b.id], { diffOnly: true })
    expect(diffOnly.edits.map((r) => r.status)).not.toContain('same')
    expect(diffOnly.edits.length).toBe(ab.edits.length - 1)
  })

  it('compares outputs and metrics on the union of prompts, re-running missing cells with the runner', async () => {
    const [a, b, c] = await three()
    const runner = fakeRunner()
    const spec = { kind: 'predict', inputs: { text: 'The nurse said' }, settings: { topK: 5 } }
    const stored = await store.addRun(a.id, await runner.run(spec, a.edits))
    const before = runner.calls

    const noRunner = await compareExperiments(store, [a.id, b.id, c.id])
    expect(noRunner.outputs[0].cells.map((x) => x?.runId ?? null)).toEqual([stored.id, null, null])
    expect(noRunner.missing.map((m) => m.experimentId)).toEqual([b.id, c.id])

    const extra = { kind: 'predict', inputs: { text: 'Tom Brady plays for the' }, settings: { topK: 5 } }
    const cmp = await compareExperiments(store, [a.id, b.id, c.id], { runner, prompts: [extra] })
    expect(runner.calls - before).toBe(2 + 3) // 2 missing cells of the stored prompt + 3 of the suite prompt
    expect(cmp.missing).toEqual([])
    expect(cmp.outputs).toHaveLength(2)
    expect(cmp.outputs[0].cells[0]).toMatchObject({ runId: stored.id, fresh: false })
    expect(cmp.outputs[0].cells[1]).toMatchObject({ fresh: true })
    const top1 = cmp.metrics.find((m) => m.metric === 'top1Prob' && m.prompt === 'The nurse said')!
    expect(top1.values).toEqual([0, 1, 2].map((i) => cmp.outputs[0].cells[i]!.metrics.top1Prob))
    expect(top1.status).toBe('changed') // the edits differ, so the fake model's outputs differ

    // the fresh runs were recorded: a second comparison re-runs nothing
    const calls = runner.calls
    const again = await compareExperiments(store, [a.id, b.id, c.id], { runner, prompts: [extra] })
    expect(runner.calls).toBe(calls)
    expect(again.outputs.flatMap((r) => r.cells.map((x) => x!.fresh))).toEqual(Array(6).fill(false))
  })

  it('does not re-run experiments of another checkpoint, and says why', async () => {
    const other = await store.save({ name: 'other model', edits: { ...doc([]), checkpoint: 'cd'.repeat(32) } })
    const mine = await store.save({ name: 'mine', edits: doc([]) })
    const runner = fakeRunner('ab'.repeat(32))
    await store.addRun(mine.id, await runner.run({ kind: 'predict', inputs: { text: 'x' }, settings: {} }, mine.edits))
    const cmp = await compareExperiments(store, [mine.id, other.id], { runner })
    expect(cmp.missing).toEqual([
      { experimentId: other.id, prompt: expect.objectContaining({ text: 'x' }), reason: expect.stringContaining('checkpoint') },
    ])
  })

  it('handles many experiments and rejects bad id lists', async () => {
    const ids: number[] = []
    for (let i = 0; i < 25; i++)
      ids.push((await store.save({ name: `e${i}`, edits: doc([{ kind: 'scale-sense', token: ' nurse', factor: i / 10 }]) })).id)
    const cmp = await compareExperiments(store, ids)
    expect(cmp.experiments).toHaveLength(25)
    expect(cmp.edits[0].values).toHaveLength(25)
    await expect(compareExperiments(store, [])).rejects.toMatchObject({ code: 'bad-request' })
    await expect(compareExperiments(store, [ids[0], ids[0]])).rejects.toMatchObject({ code: 'bad-request' })
    await expect(compareExperiments(store, [ids[0], 99999])).rejects.toMatchObject({ code: 'not-found' })
  })
})
