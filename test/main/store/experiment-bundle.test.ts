import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { compareExperiments } from '../../../src/main/store/compare-experiments'
import { exportBundle, importBundle } from '../../../src/main/store/experiment-bundle'
import { ExperimentStore } from '../../../src/main/store/experiment-store'
import { renderComparison } from '../../../src/main/store/render-comparison'
import { fakeRunner } from './helpers/fake-runner'
import { dbPath, sampleEdits, tempDir } from './helpers/temp-db'

let tmp: ReturnType<typeof tempDir>
let src: ExperimentStore
let dst: ExperimentStore
const hash = 'ab'.repeat(32)

beforeEach(async () => {
  tmp = tempDir('bundle-')
  src = await ExperimentStore.open(dbPath(tmp.dir, 'a.sqlite'))
  dst = await ExperimentStore.open(dbPath(tmp.dir, 'b.sqlite'))
})
afterEach(async () => {
  await src.close()
  await dst.close()
  tmp.cleanup()
})

async function populate() {
  await src.recordCheckpoint(hash, '/models/backpack', { vocabSize: 50264, numSenses: 16, nEmbd: 768 })
  const runner = fakeRunner(hash)
  const a = await src.save({
    name: 'A',
    notes: 'base | 100%',
    tags: ['x', 'y'],
    folder: 'f',
    edits: { ...sampleEdits(), checkpoint: hash },
  })
  const b = await src.fork(a.id, { name: 'B' })
  await src.update(b.id, { edits: { ...sampleEdits(0.5), checkpoint: hash } })
  for (const text of ['The nurse said', 'Tom Brady plays for']) {
    for (const e of [a, b])
      await src.addRun(e.id, await runner.run({ kind: 'predict', inputs: { text }, settings: { topK: 5 } }, (await src.get(e.id)).edits))
  }
  return [a.id, b.id]
}

async function tableCounts(store: ExperimentStore) {
  const out: Record<string, unknown> = {}
  for (const t of ['checkpoints', 'experiments', 'experiment_tags', 'experiment_tokens', 'runs', 'run_blobs', 'edit_documents'])
    out[t] = await store.database.get(`SELECT count(*) AS n FROM ${t}`)
  return out
}

describe('experiment bundles', () => {
  it('round-trips without loss: export → import into a fresh database → the same comparison tables', async () => {
    const ids = await populate()
    const bundle = await exportBundle(src, ids, '0.1.0')
    const text = JSON.stringify(bundle)
    const result = await importBundle(dst, text)
    expect(result.checkpoints).toEqual([{ hash, known: false }])
    expect(result.warnings.join(' ')).toMatch(/not known/)
    const newIds = result.experiments.map((e) => e.id)

    for (const format of ['csv', 'md', 'latex'] as const) {
      const before = renderComparison(await compareExperiments(src, ids), format)
      const after = renderComparison(await compareExperiments(dst, newIds), format)
      expect(after).toBe(before)
    }
    // every field of every run, blobs bit-exact: re-exporting gives the same experiments
    const again = await exportBundle(dst, newIds, '0.1.0')
    expect(again.experiments).toEqual(bundle.experiments)
    const b = await dst.get(newIds[1])
    expect(b.parentId).toBe(newIds[0]) // fork link kept
    expect(b).toMatchObject({ name: 'B', tags: ['x', 'y'], folder: 'f' })
    expect((await dst.list({ token: 'nurse' })).total).toBe(2)
    expect((await dst.search('base')).items.map((e) => e.id)).toEqual([newIds[0]])
  })

  it('knows a checkpoint it has loaded, and renames clashing uids instead of overwriting', async () => {
    const ids = await populate()
    const bundle = await exportBundle(src, ids, '0.1.0')
    const first = await importBundle(src, bundle) // into the same database: every uid clashes
    expect(first.checkpoints).toEqual([{ hash, known: true }])
    expect(first.warnings).toEqual([])
    expect(first.experiments.every((e) => e.renamedFrom !== undefined)).toBe(true)
    expect((await src.list()).total).toBe(4)
    expect((await src.get(first.experiments[1].id)).parentId).toBe(first.experiments[0].id)
  })

  it('a malformed bundle changes nothing', async () => {
    const ids = await populate()
    const good = await exportBundle(src, ids, '0.1.0')
    await dst.save({ name: 'already here', edits: sampleEdits() })
    const before = await tableCounts(dst)
    const clone = () => JSON.parse(JSON.stringify(good)) as typeof good
    const bad: [string, unknown][] = [
      ['not JSON', '{"format": "backpack-experiment-bundle", '],
      ['wrong format', { ...clone(), format: 'zip' }],
      ['newer version', { ...clone(), version: 2 }],
      ['no experiments', { ...clone(), experiments: [] }],
      [
        'bad edits in the second experiment (after the first was inserted)',
        (() => {
          const c = clone()
          c.experiments[1].edits = { format: 'backpack-sense-edits', version: 1, edits: [{ kind: 'explode' }] }
          return c
        })(),
      ],
      [
        'blob bytes do not match the shape',
        (() => {
          const c = clone()
          c.experiments[1].runs[1].blobs.logprobs.shape = [999]
          return c
        })(),
      ],
      [
        'blob bytes not whole float32 values',
        (() => {
          const c = clone()
          c.experiments[1].runs[0].blobs.logprobs.base64 = Buffer.from([1, 2, 3]).toString('base64')
          return c
        })(),
      ],
      [
        'a metric that is not a number',
        (() => {
          const c = clone()
          ;(c.experiments[0].runs[0].metrics as Record<string, unknown>).top1Prob = 'high'
          return c
        })(),
      ],
    ]
    for (const [why, input] of bad) {
      await expect(importBundle(dst, input), why).rejects.toMatchObject({ code: 'bundle-invalid' })
      expect(await tableCounts(dst), why).toEqual(before)
    }
  })
})
