import { WorkbenchError } from '../../shared/errors'
import type { Database } from './database'
import { MIGRATIONS, SCHEMA_VERSION } from './migrations/index'

/** Reads PRAGMA user_version (the number of the last migration applied). */
export async function schemaVersion(db: Database): Promise<number> {
  const row = await db.get<{ user_version: number }>('PRAGMA user_version')
  return row?.user_version ?? 0
}

/** Refuses a database written by a newer app before anything is changed. */
export function checkNotNewer(version: number, path: string): void {
  if (version > SCHEMA_VERSION) {
    throw new WorkbenchError(
      'store-version',
      `experiment database ${path} has schema version ${version}, newer than this app understands (≤ ${SCHEMA_VERSION}); it was left unchanged — update the app or choose another --db`,
    )
  }
}

/**
 * Applies every migration above the database's user_version, each in its own transaction that
 * also sets user_version, so a crash leaves the database at a whole version. `target` stops
 * early (tests build old databases with it).
 */
export async function migrateDatabase(db: Database, target = SCHEMA_VERSION): Promise<number> {
  let version = await schemaVersion(db)
  checkNotNewer(version, db.path)
  for (const m of MIGRATIONS) {
    if (m.version <= version || m.version > target) continue
    version = await db.transaction(async (tx) => {
      // another process may have migrated between our read and our write lock
      const row = await tx.get<{ user_version: number }>('PRAGMA user_version')
      const now = row?.user_version ?? 0
      checkNotNewer(now, db.path)
      if (now >= m.version) return now
      await m.up(tx)
      await tx.exec(`PRAGMA user_version = ${m.version}`)
      return m.version
    }, `migrating to schema ${m.version} (${m.name})`)
  }
  return version
}
