import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ExperimentStore } from '../../../src/main/store/experiment-store'
import { bundleHelper, parseSaved, startChild } from './helpers/child-script'
import { dbPath, tempDir } from './helpers/temp-db'

/**
 * Real processes, real SIGKILLs: a child saves experiments in a loop and is killed at a random
 * moment after its first commit, 20 times; then the database must pass integrity_check and hold
 * every experiment and run whose save had returned (the child prints ids only after commit).
 */
let tmp: ReturnType<typeof tempDir>
let script: string
beforeAll(async () => {
  tmp = tempDir('crash-')
  script = await bundleHelper('save-loop', tmp.dir)
})
afterAll(() => tmp.cleanup())

describe('crash safety', () => {
  it('survives SIGKILL at random moments 20 times without losing a returned save', async () => {
    const path = dbPath(tmp.dir)
    const saved: { id: number; uid: string }[] = []
    const runs: number[] = []
    let killedMidLoop = 0
    for (let round = 0; round < 20; round++) {
      const { child, done, onLine } = startChild(script, [path, 'forever', `round${round}`])
      const firstCommit = new Promise<void>((res) => onLine((l) => l.startsWith('saved') && res()))
      const exited = done.then(() => undefined)
      await Promise.race([firstCommit, exited])
      await new Promise((r) => setTimeout(r, Math.random() * 120))
      child.kill('SIGKILL')
      const out = await done
      expect(out.stderr, `round ${round} stderr`).toBe('')
      if (out.signal === 'SIGKILL') killedMidLoop++
      const got = parseSaved(out.stdout)
      expect(got.experiments.length, `round ${round} saved at least one before the kill`).toBeGreaterThan(0)
      saved.push(...got.experiments)
      runs.push(...got.runs)
    }
    expect(killedMidLoop).toBe(20)

    const store = await ExperimentStore.open(path)
    try {
      expect(await store.database.all('PRAGMA integrity_check')).toEqual([{ integrity_check: 'ok' }])
      expect(await store.database.all('PRAGMA foreign_key_check')).toEqual([])
      for (const s of saved) expect((await store.get(s.id)).uid).toBe(s.uid)
      for (const r of runs) expect((await store.getRun(r)).blobs.logits.data.length).toBe(16384)
      // nothing half-written: every experiment row has its tags and token index rows
      const orphans = await store.database.get<{ n: number }>(
        'SELECT count(*) AS n FROM experiments e WHERE (SELECT count(*) FROM experiment_tags t WHERE t.experiment_id = e.id) <> 3 OR NOT EXISTS (SELECT 1 FROM experiment_tokens k WHERE k.experiment_id = e.id)',
      )
      expect(orphans).toEqual({ n: 0 })
      expect((await store.list({ tags: ['loop'], limit: 1 })).total).toBeGreaterThanOrEqual(saved.length)
    } finally {
      await store.close()
    }
  }, 180_000)
})
