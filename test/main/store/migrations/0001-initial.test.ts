import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Database } from '../../../../src/main/store/database'
import { ExperimentStore } from '../../../../src/main/store/experiment-store'
import { migrateDatabase, schemaVersion } from '../../../../src/main/store/migrate-database'
import { dbPath, sampleEdits, tempDir } from '../helpers/temp-db'

let tmp: ReturnType<typeof tempDir>
beforeEach(() => {
  tmp = tempDir('mig1-')
})
afterEach(() => tmp.cleanup())

describe('migration 0001-initial', () => {
  it('turns an empty (version 0) SQLite file into schema 1 and keeps unrelated tables', async () => {
    const path = dbPath(tmp.dir)
    const raw = await Database.open(path)
    await raw.exec("CREATE TABLE user_scratch (x TEXT); INSERT INTO user_scratch VALUES ('keep me')")
    expect(await schemaVersion(raw)).toBe(0)
    expect(await migrateDatabase(raw, 1)).toBe(1)
    expect(await schemaVersion(raw)).toBe(1)
    const tables = (await raw.all<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")).map((t) => t.name)
    expect(tables).toEqual(
      expect.arrayContaining(['checkpoints', 'experiments', 'experiment_tags', 'experiment_tokens', 'runs', 'run_blobs', 'user_scratch']),
    )
    expect(await raw.all('SELECT x FROM user_scratch')).toEqual([{ x: 'keep me' }])
    await raw.close()
  })

  it('data written at schema 1 survives migrating to the latest schema, foreign keys enforced', async () => {
    const path = dbPath(tmp.dir)
    const v1 = await ExperimentStore.open(path, { targetVersion: 1 })
    expect(await schemaVersion(v1.database)).toBe(1)
    const saved = await v1.save({ name: 'old one', notes: 'from v1', tags: ['t'], edits: sampleEdits() })
    await expect(
      v1.database.run(
        "INSERT INTO runs (uid, experiment_id, kind, inputs_json, settings_json, prompt_key, outputs_json, metrics_json, timings_json, edits_json, app_version, created_at) VALUES ('u', 999, 'predict', '{}', '{}', '', '{}', '{}', '{}', '{}', 'x', 0)",
      ),
    ).rejects.toMatchObject({ code: 'bad-request' })
    await v1.close()

    const latest = await ExperimentStore.open(path)
    expect(await schemaVersion(latest.database)).toBeGreaterThan(1)
    expect(await latest.get(saved.id)).toEqual(saved)
    await latest.close()
  })
})
