import { mulberry32 } from '../helpers/mulberry32'
import type { StoreMaterial } from './store-fixtures'

/**
 * Hostile inputs for the experiment store, by category. Each case makes the files of one
 * database folder (`log.sqlite` and maybe `log.sqlite-wal`) from the shared material, lazily so
 * that cases left out of a sample cost nothing. `expect` is what a correct store does with it:
 * - `refuse`: a typed error, every file byte-identical, no file created;
 * - `read`: every experiment, run and blob exactly as written (`StoreMaterial.expected`);
 * - `either`: one of the two (damage SQLite may or may not notice on the way: it keeps no page checksums).
 */
export interface StoreCase {
  category: string
  name: string
  expect: 'refuse' | 'read' | 'either'
  files: (m: StoreMaterial) => Promise<Record<string, Buffer>>
}

const only = (main: Buffer, wal?: Buffer): Record<string, Buffer> =>
  wal ? { 'log.sqlite': main, 'log.sqlite-wal': wal } : { 'log.sqlite': main }

function noise(n: number, seed: number): Buffer {
  const random = mulberry32(seed)
  return Buffer.from(Array.from({ length: n }, () => Math.floor(random() * 256)))
}

function flipBit(b: Buffer, byte: number, bit: number): Buffer {
  const out = Buffer.from(b)
  out[byte] ^= 1 << bit
  return out
}

function truncated(): StoreCase[] {
  const at = (m: StoreMaterial) => [
    1,
    15,
    16,
    50,
    99,
    100,
    101,
    1024,
    m.pageSize - 1,
    m.pageSize,
    m.pageSize + 1,
    2 * m.pageSize,
    3 * m.pageSize + 7,
    Math.floor(m.log.length / 2),
    m.log.length - m.pageSize,
    m.log.length - 1,
  ]
  // the lengths depend on the material; 16 slots, each resolved when the case runs
  return Array.from({ length: 16 }, (_, i) => ({
    category: 'truncated',
    name: `length slot ${i}`,
    expect: 'refuse' as const,
    files: async (m: StoreMaterial) => only(m.log.subarray(0, at(m)[i])),
  }))
}

function headerBitFlips(): StoreCase[] {
  const cases: StoreCase[] = []
  for (let byte = 0; byte < 100; byte++) {
    for (let bit = 0; bit < 8; bit++) {
      cases.push({
        category: 'header bit flip',
        name: `byte ${byte} bit ${bit}`,
        expect: 'either',
        files: async (m) => only(flipBit(m.log, byte, bit)),
      })
    }
  }
  return cases
}

function pageBitFlips(count: number): StoreCase[] {
  const random = mulberry32(4242)
  return Array.from({ length: count }, (_, i) => {
    const where = random()
    const bit = Math.floor(random() * 8)
    return {
      category: 'page bit flip',
      name: `flip ${i} at ${(where * 100).toFixed(1)}% bit ${bit}`,
      expect: 'either' as const,
      files: async (m: StoreMaterial) => only(flipBit(m.log, 100 + Math.floor(where * (m.log.length - 100)), bit)),
    }
  })
}

function zeroedPages(pages: number): StoreCase[] {
  return Array.from({ length: pages }, (_, i) => ({
    category: 'zeroed page',
    name: `page ${i + 1}`,
    expect: i === 0 ? ('refuse' as const) : ('either' as const),
    files: async (m: StoreMaterial) => {
      if ((i + 1) * m.pageSize > m.log.length) return only(Buffer.concat([m.log, Buffer.alloc(m.pageSize)])) // past the end: a zero page appended
      const out = Buffer.from(m.log)
      out.fill(0, i * m.pageSize, (i + 1) * m.pageSize)
      return only(out)
    },
  }))
}

function garbage(): StoreCase[] {
  const magic = Buffer.from('SQLite format 3\0', 'latin1')
  const items: [string, (m: StoreMaterial) => Buffer][] = [
    ['a text file', () => Buffer.from('these are my notes, not a database\n'.repeat(200))],
    ['JSON', () => Buffer.from(JSON.stringify({ experiments: [{ name: 'x' }] }))],
    ['one byte', () => Buffer.from([0])],
    ['4 KiB of zeros', () => Buffer.alloc(4096)],
    ['random 100 bytes', () => noise(100, 1)],
    ['random 64 KiB', () => noise(65536, 2)],
    ['a zip header and noise', () => Buffer.concat([Buffer.from('PK\x03\x04', 'latin1'), noise(5000, 3)])],
    ['a PNG header and noise', () => Buffer.concat([Buffer.from('\x89PNG\r\n\x1a\n', 'latin1'), noise(5000, 4)])],
    ['an ELF header and noise', () => Buffer.concat([Buffer.from('\x7fELF', 'latin1'), noise(5000, 5)])],
    ['the SQLite magic and noise', () => Buffer.concat([magic, noise(3 * 16384, 6)])],
    ['the SQLite magic alone', () => magic],
    ['the log header and noise', (m) => Buffer.concat([m.log.subarray(0, 100), noise(m.log.length - 100, 7)])],
    ['the log page 1 and noise', (m) => Buffer.concat([m.log.subarray(0, m.pageSize), noise(m.log.length - m.pageSize, 8)])],
    ['the log reversed', (m) => Buffer.from(m.log).reverse()],
  ]
  return items.map(([name, make]) => ({
    category: 'garbage',
    name,
    expect: name.startsWith('the log page 1') ? ('either' as const) : ('refuse' as const),
    files: async (m) => only(make(m)),
  }))
}

function walsFromElsewhere(): StoreCase[] {
  const items: [string, StoreCase['expect'], (m: StoreMaterial) => Record<string, Buffer>][] = [
    ['the log with another program’s WAL (4 KiB pages)', 'either', (m) => only(m.log, m.foreignWal)],
    ['the log with a WAL of random bytes', 'read', (m) => only(m.log, noise(40000, 9))],
    ['the log with an empty WAL', 'read', (m) => only(m.log, Buffer.alloc(0))],
    [
      'the log with half of another log’s WAL',
      'either',
      (m) => only(m.log, m.otherLogWal.subarray(0, Math.floor(m.otherLogWal.length / 2))),
    ],
    ['the log with another log’s WAL, its header damaged', 'read', (m) => only(m.log, flipBit(m.otherLogWal, 20, 3))],
    ['another program’s database with a log’s WAL', 'refuse', (m) => only(m.foreignMain, m.otherLogWal)],
    ['another program’s database with its own WAL', 'refuse', (m) => only(m.foreignMain, m.foreignWal)],
    // SQLite has no way to tell a WAL from its database: a same-page-size WAL of another log
    // replays over this one (recorded by the suite as "wrongly accepted", not asserted)
    ['the log with another log’s whole WAL', 'either', (m) => only(m.log, m.otherLogWal)],
  ]
  return items.map(([name, expect, make]) => ({ category: 'WAL from elsewhere', name, expect, files: async (m) => make(m) }))
}

function foreignDatabases(): StoreCase[] {
  const sql: [string, string][] = [
    [
      'its own "experiments" table',
      "CREATE TABLE experiments (id INTEGER PRIMARY KEY, title TEXT); INSERT INTO experiments (title) VALUES ('theirs')",
    ],
    [
      '"experiments" and "runs" of its own',
      'CREATE TABLE experiments (id INTEGER PRIMARY KEY, name TEXT); CREATE TABLE runs (id INTEGER PRIMARY KEY, experiment_id INTEGER, score REAL)',
    ],
    [
      'a browser history',
      'PRAGMA user_version = 48; CREATE TABLE urls (id INTEGER PRIMARY KEY, url TEXT, title TEXT); CREATE TABLE visits (id INTEGER PRIMARY KEY, url INTEGER, visit_time INTEGER)',
    ],
    [
      'GeoPackage',
      'PRAGMA application_id = 1196444487; PRAGMA user_version = 10300; CREATE TABLE gpkg_contents (table_name TEXT PRIMARY KEY)',
    ],
    ['Fossil', 'PRAGMA application_id = 252006674; CREATE TABLE blob (rid INTEGER PRIMARY KEY, content BLOB)'],
    [
      'MBTiles',
      'PRAGMA application_id = 1297105496; CREATE TABLE metadata (name TEXT, value TEXT); CREATE TABLE tiles (zoom_level INTEGER, tile_data BLOB)',
    ],
    ['an application id one bit off ours', 'PRAGMA application_id = 1112561475; CREATE TABLE t (x)'],
    ['the largest application id', 'PRAGMA application_id = -1; CREATE TABLE t (x)'],
    ['user_version 1 over its own tables', 'PRAGMA user_version = 1; CREATE TABLE notes (body TEXT)'],
    ['user_version 3 over its own tables', 'PRAGMA user_version = 3; CREATE TABLE notes (body TEXT)'],
    ['user_version 4', 'PRAGMA user_version = 4; CREATE TABLE notes (body TEXT)'],
    ['the largest user_version', 'PRAGMA user_version = -1; CREATE TABLE notes (body TEXT)'],
    ['a blank database', 'PRAGMA page_size = 4096; VACUUM'],
    ['a view named "experiments"', 'CREATE TABLE t (x); CREATE VIEW experiments AS SELECT x FROM t'],
    [
      'an FTS5 table named "experiments_fts"',
      "CREATE VIRTUAL TABLE experiments_fts USING fts5(name, notes); INSERT INTO experiments_fts VALUES ('a', 'b')",
    ],
    [
      'in WAL mode, closed',
      "PRAGMA journal_mode = WAL; CREATE TABLE experiments (id INTEGER PRIMARY KEY, title TEXT); INSERT INTO experiments (title) VALUES ('theirs')",
    ],
    [
      'with 512-byte pages',
      'PRAGMA page_size = 512; VACUUM; CREATE TABLE big (x); INSERT INTO big SELECT randomblob(300) FROM (SELECT 1 UNION SELECT 2 UNION SELECT 3)',
    ],
  ]
  const cases: StoreCase[] = sql.map(([name, s]) => ({
    category: 'foreign database',
    name,
    expect: 'refuse',
    files: async (m) => only(await m.sqlite(s)),
  }))
  cases.push(
    {
      category: 'foreign database',
      name: 'our tables and user_version under another application id',
      expect: 'refuse',
      files: async (m) => only(await m.alteredLog('PRAGMA application_id = 1196444487')),
    },
    {
      category: 'foreign database',
      name: 'our tables without the stamp, one table missing',
      expect: 'refuse',
      files: async (m) => only(await m.alteredLog('PRAGMA application_id = 0; DROP TABLE run_blobs')),
    },
    {
      category: 'foreign database',
      name: 'our tables without the stamp, one column more',
      expect: 'refuse',
      files: async (m) => only(await m.alteredLog('PRAGMA application_id = 0; ALTER TABLE experiments ADD COLUMN owner TEXT')),
    },
  )
  return cases
}

function alteredLogs(): StoreCase[] {
  const sql: [string, string, StoreCase['expect']][] = [
    ['a table dropped (run_blobs)', 'DROP TABLE run_blobs', 'refuse'],
    ['a table dropped (edit_documents)', 'PRAGMA foreign_keys = OFF; DROP TABLE edit_documents', 'refuse'],
    ['a column dropped', 'ALTER TABLE experiments DROP COLUMN folder', 'refuse'],
    ['a column added', 'ALTER TABLE runs ADD COLUMN extra TEXT', 'refuse'],
    ['a NOT NULL column added', "ALTER TABLE experiments ADD COLUMN owner TEXT NOT NULL DEFAULT 'x'", 'refuse'],
    ['a table renamed', 'ALTER TABLE experiment_tags RENAME TO tags', 'refuse'],
    ['a column renamed', 'ALTER TABLE experiments RENAME COLUMN notes TO description', 'refuse'],
    ['the search index dropped', 'DROP TABLE experiments_fts', 'refuse'],
    ['a search trigger dropped', 'DROP TRIGGER experiments_fts_insert', 'refuse'],
    ['an index dropped', 'DROP INDEX experiments_name', 'refuse'],
    [
      'a table replaced by a view',
      'PRAGMA foreign_keys = OFF; DROP TABLE experiment_tokens; CREATE VIEW experiment_tokens AS SELECT 1 AS experiment_id, 2 AS token_id, 3 AS word',
      'refuse',
    ],
    ['user_version set back to 2', 'PRAGMA user_version = 2', 'refuse'],
    ['user_version set back to 1', 'PRAGMA user_version = 1', 'refuse'],
    ['user_version set to 0', 'PRAGMA user_version = 0', 'refuse'],
    ['user_version from the future', 'PRAGMA user_version = 4', 'refuse'],
    ['a table of the researcher’s own added', "CREATE TABLE my_notes (x TEXT); INSERT INTO my_notes VALUES ('mine')", 'read'],
    ['an index of the researcher’s own added', 'CREATE INDEX my_index ON experiments(notes)', 'read'],
    ['switched to rollback journaling', 'PRAGMA journal_mode = DELETE', 'read'],
    ['vacuumed', 'VACUUM', 'read'],
    ['the stamp removed (as a log from before it)', 'PRAGMA application_id = 0', 'read'],
  ]
  return sql.map(([name, s, expect]) => ({ category: 'altered log', name, expect, files: async (m) => only(await m.alteredLog(s)) }))
}

/** Every case; the tests draw a sample per category (see sample-cases.ts). */
export function storeCases(): StoreCase[] {
  return [
    ...truncated(),
    ...headerBitFlips(),
    ...pageBitFlips(200),
    ...zeroedPages(12),
    ...garbage(),
    ...walsFromElsewhere(),
    ...foreignDatabases(),
    ...alteredLogs(),
  ]
}
