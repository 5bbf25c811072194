import { resolve } from 'node:path'
import { WorkbenchError } from '../../shared/errors'
import { Database, storeError, type OpenOptions } from './database'
import { createLog } from './create-log'
import { inspectLog, openWithoutCompanions } from './inspect-log'
import { checkWalBelongs, isReadOnlyLocation, LOG_APPLICATION_ID, readLogFile } from './log-file'
import { readLogFacts, schemaProblem, type LogFacts } from './log-schema'
import { checkNotNewer, migrateDatabase } from './migrate-database'
import { SCHEMA_VERSION } from './migrations/index'

export { NEW_PAGE_SIZE } from './create-log'

export interface OpenDatabaseOptions extends Omit<OpenOptions, 'immutable' | 'create'> {
  /** stop migrating at this version (tests of migrations) */
  targetVersion?: number
}

/**
 * Opens the experiment log at `path`, refusing before anything is written (and leaving the file
 * and its folder exactly as they were) whatever is not a usable experiment log:
 * - not SQLite, a damaged header (`store-corrupt`, from the bytes, before SQLite opens it);
 * - another program's database (`store-foreign`): another `application_id`, or none and not the
 *   tables a log made before the stamp had (see `isPreStampLog`);
 * - a log from a newer app (`store-version`), a log whose tables were altered (`store-corrupt`).
 * A missing or empty file becomes a new log; a log from before the stamp is stamped. Then WAL,
 * foreign keys, full sync and pending migrations. A read-only location (see `isReadOnlyLocation`)
 * or `readonly` opens read-only, and a read-only location is read without creating any file.
 */
export async function openDatabase(path: string, options: OpenDatabaseOptions = {}): Promise<Database> {
  const file = resolve(path)
  const readOnlyLocation = isReadOnlyLocation(file)
  const target = options.targetVersion ?? SCHEMA_VERSION
  let state = readLogFile(file)
  if (state.kind !== 'sqlite') {
    if (readOnlyLocation)
      throw new WorkbenchError(
        'store-io',
        `experiment database ${file} ${state.kind === 'absent' ? 'does not exist' : 'is empty'} and its location is read-only, so no log can be created there`,
      )
    if (options.readonly)
      throw new WorkbenchError(
        'not-found',
        `experiment database ${file} ${state.kind === 'absent' ? 'does not exist' : 'is empty'} (opened read-only)`,
      )
    await createLog(file, state.kind, options)
    state = readLogFile(file)
    if (state.kind !== 'sqlite') throw new WorkbenchError('store-io', `experiment database ${file} was emptied while it was being created`)
  }
  if (state.applicationId !== LOG_APPLICATION_ID && state.applicationId !== 0) {
    throw foreign(
      file,
      `its application id is 0x${state.applicationId.toString(16).padStart(8, '0')}, an experiment log's is 0x${LOG_APPLICATION_ID.toString(16)}`,
    )
  }
  checkWalBelongs(file)
  const stamped = state.applicationId === LOG_APPLICATION_ID
  if (readOnlyLocation || options.readonly) return openReadOnly(file, stamped, readOnlyLocation, target, options)
  if (!stamped) await stampPreStampLog(file, options)
  else await inspectLog(file, false, (db) => checkLog(db, file, true)) // only when a WAL is there: never checkpoint a WAL that is not this log's
  return openWritable(file, target, options)
}

/** The stamped log, read-write: checked again through this connection, then WAL, sync, migrations. */
async function openWritable(file: string, target: number, options: OpenDatabaseOptions): Promise<Database> {
  const db = await Database.open(file, { ...options, create: false })
  try {
    await checkLog(db, file, true)
    await db.exec('PRAGMA foreign_keys = ON')
    const mode = await db.get<{ journal_mode: string }>('PRAGMA journal_mode = WAL')
    if (mode?.journal_mode !== 'wal') {
      throw new WorkbenchError(
        'store-io',
        `experiment database ${file} could not switch to WAL journaling (got ${mode?.journal_mode}); the file system may not support shared memory`,
      )
    }
    await db.exec('PRAGMA synchronous = FULL')
    await migrateDatabase(db, target)
    return db
  } catch (e) {
    await db.close().catch(() => undefined)
    throw storeError(e, file, 'opening')
  }
}

/**
 * Read-only: in a read-only location without creating any file; elsewhere (`readonly` asked for)
 * on a `query_only` read-write connection after the same look as a writable open, so that the
 * `-wal`/`-shm` files it needs are removed again when it closes.
 */
async function openReadOnly(
  file: string,
  stamped: boolean,
  readOnlyLocation: boolean,
  target: number,
  options: OpenDatabaseOptions,
): Promise<Database> {
  if (!readOnlyLocation) await inspectLog(file, !stamped, (db) => checkLog(db, file, stamped))
  const db = readOnlyLocation
    ? await openWithoutCompanions(file, options)
    : await Database.open(file, { ...options, readonly: false, queryOnly: true, create: false })
  try {
    const facts = await checkLog(db, file, stamped)
    if (facts.userVersion < target) {
      throw new WorkbenchError(
        'store-io',
        `experiment database ${file} is at schema ${facts.userVersion} and needs migrating, but it is ${readOnlyLocation ? 'in a read-only location' : 'opened read-only'}`,
      )
    }
    await db.exec('PRAGMA foreign_keys = ON')
    return db
  } catch (e) {
    await db.close().catch(() => undefined)
    throw storeError(e, file, 'opening')
  }
}

/** A log from before the stamp is stamped in one write transaction, after a look that creates no file. */
async function stampPreStampLog(file: string, options: OpenDatabaseOptions): Promise<void> {
  const facts = await inspectLog(file, true, (db) => checkLog(db, file, false))
  if (facts?.applicationId === LOG_APPLICATION_ID) return // stamped meanwhile (the stamp is still in the WAL)
  const db = await Database.open(file, { ...options, create: false })
  try {
    await db.transaction(async (tx) => {
      const now = await readLogFacts(tx)
      if (now.applicationId === LOG_APPLICATION_ID) return
      const why = preStampProblem(now)
      if (why) throw foreign(file, why)
      await tx.exec(`PRAGMA application_id = ${LOG_APPLICATION_ID}`)
    }, 'stamping the experiment log')
  } finally {
    await db.close()
  }
}

/**
 * Checks an open database is a usable experiment log: with the stamp expected, another
 * application id is foreign, a newer user_version is `store-version`, a schema that is not the
 * one our migrations made at its version is `store-corrupt`. Without the stamp (a log from before
 * it), anything but our exact tables at one of our versions is foreign.
 */
async function checkLog(db: Database, file: string, stamped: boolean): Promise<LogFacts> {
  let facts: LogFacts
  try {
    facts = await db.snapshot(readLogFacts, 'reading the schema') // one snapshot: another process may be migrating
  } catch (e) {
    const err = storeError(e, file, 'reading the schema')
    // SQLite cannot read this schema (an unknown module, a malformed entry): not one of our logs
    if (!stamped && err.code === 'internal') throw foreign(file, `its schema cannot be read (${err.message})`)
    throw err
  }
  if (facts.applicationId === LOG_APPLICATION_ID || stamped) {
    if (facts.applicationId !== LOG_APPLICATION_ID)
      throw foreign(file, `its write-ahead log gives application id 0x${facts.applicationId.toString(16)}`)
    checkNotNewer(facts.userVersion, file)
    const problem = await schemaProblem(facts, facts.userVersion)
    if (problem)
      throw new WorkbenchError(
        'store-corrupt',
        `experiment database ${file} has had its tables altered (${problem}); it was left untouched — restore it from a backup or choose another --db`,
      )
    return facts
  }
  const why = await preStampProblemWithSchema(facts)
  if (why) throw foreign(file, why)
  return facts
}

/** Why a database without our application id is not a log made before the stamp existed. */
function preStampProblem(facts: LogFacts): string | undefined {
  if (facts.applicationId !== 0) return `its application id is 0x${facts.applicationId.toString(16)}`
  if (facts.userVersion === 0) return 'it has no application id and no schema version'
  if (facts.userVersion > SCHEMA_VERSION)
    return `it has no application id and user_version ${facts.userVersion}, which no experiment log has had`
  return undefined
}

async function preStampProblemWithSchema(facts: LogFacts): Promise<string | undefined> {
  const why = preStampProblem(facts)
  if (why) return why
  const problem = await schemaProblem(facts, facts.userVersion)
  return problem
    ? `it has no application id and not the tables of an experiment log at version ${facts.userVersion}: ${problem}`
    : undefined
}

function foreign(file: string, why: string): WorkbenchError {
  return new WorkbenchError('store-foreign', `${file} is not an experiment log (${why}); it was left untouched — choose another --db`)
}
