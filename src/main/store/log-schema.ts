import { Database, type Queryable } from './database'
import { migrateDatabase } from './migrate-database'
import { SCHEMA_VERSION } from './migrations/index'

/**
 * What an open database says about itself (application id, user_version, schema objects and
 * table columns), and how that compares with the schema our migrations build at a version.
 * The expected schemas are built once per process by running the migrations on an in-memory
 * database, so they can never drift from the migrations themselves.
 */

export interface SchemaShape {
  /** every schema object but SQLite's own (`sqlite_*`): name → type (table, index, trigger, view) */
  objects: Map<string, string>
  /** the sorted column names of each table, as far as they could be read */
  columns: Map<string, string[]>
}

export interface LogFacts extends SchemaShape {
  applicationId: number
  userVersion: number
}

/** Reads the header values through SQLite (so a WAL's newer page 1 counts) and the schema. */
export async function readLogFacts(db: Queryable): Promise<LogFacts> {
  const app = await db.get<{ application_id: number }>('PRAGMA application_id')
  const version = await db.get<{ user_version: number }>('PRAGMA user_version')
  return { applicationId: app?.application_id ?? 0, userVersion: version?.user_version ?? 0, ...(await readShape(db)) }
}

async function readShape(db: Queryable): Promise<SchemaShape> {
  const rows = await db.all<{ type: string; name: string }>(
    "SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\'",
  )
  const objects = new Map(rows.map((r) => [r.name, r.type]))
  const columns = new Map<string, string[]>()
  for (const r of rows) {
    if (r.type !== 'table') continue
    try {
      columns.set(r.name, (await db.all<{ name: string }>('SELECT name FROM pragma_table_info(?)', [r.name])).map((c) => c.name).sort())
    } catch {
      // a virtual table of a module this SQLite lacks: its columns stay unknown (never ours)
    }
  }
  return { objects, columns }
}

let expected: Promise<Map<number, SchemaShape>> | undefined

/** The schema our migrations build at each version 0…SCHEMA_VERSION. */
export function expectedSchemas(): Promise<Map<number, SchemaShape>> {
  expected ??= (async () => {
    const db = await Database.open(':memory:')
    try {
      const shapes = new Map<number, SchemaShape>([[0, await readShape(db)]])
      for (let v = 1; v <= SCHEMA_VERSION; v++) {
        await migrateDatabase(db, v)
        shapes.set(v, await readShape(db))
      }
      return shapes
    } finally {
      await db.close()
    }
  })()
  return expected
}

/**
 * Why `shape` is not the schema our migrations build at `version` (undefined when it is): one
 * of our tables, indexes or triggers is missing or of another type, a table's columns differ,
 * or an object of a later version is already there. Objects of other names (a researcher's own
 * table or view) are allowed.
 */
export async function schemaProblem(shape: SchemaShape, version: number): Promise<string | undefined> {
  const shapes = await expectedSchemas()
  const want = shapes.get(version)
  if (!want) return `schema version ${version} is not one this app made`
  for (const [name, type] of want.objects) {
    const got = shape.objects.get(name)
    if (got !== type) return got ? `"${name}" is a ${got}, expected a ${type}` : `${type} "${name}" is missing`
  }
  for (const [table, columns] of want.columns) {
    const got = shape.columns.get(table)
    if (got?.join(',') !== columns.join(','))
      return `table "${table}" has columns (${got?.join(', ') ?? 'unreadable'}), expected (${columns.join(', ')})`
  }
  for (const [v, other] of shapes) {
    if (v <= version) continue
    for (const name of other.objects.keys()) {
      if (!want.objects.has(name) && shape.objects.has(name))
        return `"${name}" belongs to schema version ${v}, but user_version is ${version}`
    }
  }
  return undefined
}
