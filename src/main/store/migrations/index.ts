import { migration0001Initial } from './0001-initial'
import { migration0002AddSearch } from './0002-add-search'
import { migration0003DedupeRunEdits } from './0003-dedupe-run-edits'
import type { Migration } from './migration'

/** Every schema step in order; the database's PRAGMA user_version is the last one applied. */
export const MIGRATIONS: readonly Migration[] = [migration0001Initial, migration0002AddSearch, migration0003DedupeRunEdits]

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version
