import sqlite3 from 'sqlite3'
import { WorkbenchError } from '../../shared/errors'

/**
 * The one doorway to `sqlite3` (design.md §1): a promise wrapper around one connection that
 * serialises callers, runs transactions with BEGIN IMMEDIATE, retries when another process
 * holds the lock (until a time budget runs out), and turns SQLite errors into typed `store-*`
 * WorkbenchErrors.
 */

export type SqlValue = string | number | bigint | Buffer | null
export type SqlParams = SqlValue[] | Record<string, SqlValue>

export interface RunInfo {
  lastID: number
  changes: number
}

/** What a transaction body may call: the same queries, without taking the connection lock. */
export interface Queryable {
  run(sql: string, params?: SqlParams): Promise<RunInfo>
  get<T>(sql: string, params?: SqlParams): Promise<T | undefined>
  all<T>(sql: string, params?: SqlParams): Promise<T[]>
  exec(sql: string): Promise<void>
}

export interface OpenOptions {
  /** open with SQLITE_OPEN_READONLY: every write fails with `store-io` */
  readonly?: boolean
  /**
   * read-only, and trust that nothing changes the file while it is open (SQLite's `immutable`
   * URI parameter): no locks, no `-wal`/`-shm` files are opened or created. Only for a file that
   * nobody can write (a read-only location) or a private copy.
   */
  immutable?: boolean
  /**
   * a read-write connection on which every write fails (`PRAGMA query_only`): unlike
   * SQLITE_OPEN_READONLY it removes the `-wal`/`-shm` files it made when it closes last
   */
  queryOnly?: boolean
  /** create the file when it does not exist (read-write only; default true) */
  create?: boolean
  /** SQLite busy handler wait per statement (ms) */
  busyTimeoutMs?: number
  /** most whole-statement/transaction retries after SQLITE_BUSY beyond the busy timeout */
  retries?: number
  /** no new retry starts once this long (ms) has passed since the first attempt */
  busyBudgetMs?: number
}

/** Retries after SQLITE_BUSY: unbounded in count, bounded by `busyBudgetMs` (default 60 s). */
const DEFAULT_BUSY_BUDGET_MS = 60_000

const BUSY_CODES = new Set(['SQLITE_BUSY', 'SQLITE_LOCKED'])

/** Maps a sqlite3 error to a WorkbenchError that says what failed, where and why. */
export function storeError(e: unknown, path: string, what: string): WorkbenchError {
  if (e instanceof WorkbenchError) return e
  const code = (e as { code?: string }).code ?? ''
  const msg = e instanceof Error ? e.message : String(e)
  const where = `${what} in experiment database ${path}`
  if (
    code === 'SQLITE_NOTADB' ||
    code === 'SQLITE_CORRUPT' ||
    (code === 'SQLITE_ERROR' && /unsupported file format|malformed database schema/.test(msg))
  ) {
    return new WorkbenchError(
      'store-corrupt',
      `${where} failed: the file is not a usable SQLite database (${msg}); it was left untouched — move it away or choose another --db`,
      { cause: e },
    )
  }
  if (code === 'SQLITE_FULL') {
    return new WorkbenchError('store-io', `${where} failed: the disk (or the database size limit) is full (${msg}); nothing was written`, {
      cause: e,
    })
  }
  if (code === 'SQLITE_READONLY' || code === 'SQLITE_CANTOPEN' || code === 'SQLITE_PERM' || code === 'SQLITE_AUTH') {
    return new WorkbenchError(
      'store-io',
      `${where} failed: the location is not writable or cannot be opened (${msg}); nothing was written`,
      { cause: e },
    )
  }
  if (code.startsWith('SQLITE_IOERR')) {
    return new WorkbenchError('store-io', `${where} failed: an I/O error occurred (${msg}); the transaction was rolled back`, { cause: e })
  }
  if (BUSY_CODES.has(code)) {
    return new WorkbenchError('store-io', `${where} failed: the database stayed locked by another process past the retry budget (${msg})`, {
      cause: e,
    })
  }
  if (code === 'SQLITE_CONSTRAINT') {
    return new WorkbenchError('bad-request', `${where} failed: a constraint was violated (${msg})`, { cause: e })
  }
  return new WorkbenchError('internal', `${where} failed: ${msg}`, { cause: e })
}

export function isBusy(e: unknown): boolean {
  const cause = e instanceof WorkbenchError ? e.cause : e
  return BUSY_CODES.has((cause as { code?: string } | undefined)?.code ?? '')
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

export class Database implements Queryable {
  readonly path: string
  readonly readonly: boolean
  readonly #db: sqlite3.Database
  readonly #retries: number
  readonly #busyBudgetMs: number
  #lock: Promise<unknown> = Promise.resolve()
  #closed = false

  private constructor(db: sqlite3.Database, path: string, options: OpenOptions) {
    this.#db = db
    this.path = path
    this.readonly = (options.readonly ?? false) || (options.immutable ?? false) || (options.queryOnly ?? false)
    this.#retries = options.retries ?? Number.POSITIVE_INFINITY
    this.#busyBudgetMs = options.busyBudgetMs ?? DEFAULT_BUSY_BUDGET_MS
  }

  /** Opens (creating unless `readonly`, `immutable` or `create: false`) the database file at `path`. */
  static open(path: string, options: OpenOptions = {}): Promise<Database> {
    let name = path
    let mode = sqlite3.OPEN_READWRITE | (options.create === false ? 0 : sqlite3.OPEN_CREATE)
    if (options.immutable) {
      name = fileUri(path, 'immutable=1')
      mode = sqlite3.OPEN_READONLY | sqlite3.OPEN_URI
    } else if (options.readonly) {
      mode = sqlite3.OPEN_READONLY
    }
    return new Promise((resolve, reject) => {
      const raw = new sqlite3.Database(name, mode, (err) => {
        if (err) return reject(storeError(err, path, 'opening'))
        raw.configure('busyTimeout', options.busyTimeoutMs ?? 5000)
        const db = new Database(raw, path, options)
        if (!options.queryOnly) return resolve(db)
        db.exec('PRAGMA query_only = ON').then(
          () => resolve(db),
          (e) => db.close().finally(() => reject(storeError(e, path, 'opening'))),
        )
      })
    })
  }

  run(sql: string, params: SqlParams = []): Promise<RunInfo> {
    return this.#locked(() => this.#retryBusy(() => this.#run(sql, params)))
  }

  get<T>(sql: string, params: SqlParams = []): Promise<T | undefined> {
    return this.#locked(() => this.#retryBusy(() => this.#get<T>(sql, params)))
  }

  all<T>(sql: string, params: SqlParams = []): Promise<T[]> {
    return this.#locked(() => this.#retryBusy(() => this.#all<T>(sql, params)))
  }

  exec(sql: string): Promise<void> {
    return this.#locked(() => this.#retryBusy(() => this.#exec(sql)))
  }

  /**
   * Runs `body` inside BEGIN IMMEDIATE … COMMIT (the write lock is taken up front, so two
   * writers never deadlock on a lock upgrade). Rolls back on any error. When another process
   * holds the lock past the busy timeout the whole transaction is retried with backoff.
   */
  transaction<T>(body: (tx: Queryable) => Promise<T>, what = 'writing'): Promise<T> {
    return this.#inTransaction('BEGIN IMMEDIATE', body, what)
  }

  /** Runs `body` inside BEGIN … COMMIT without taking the write lock: its reads see one snapshot. */
  snapshot<T>(body: (tx: Queryable) => Promise<T>, what = 'reading'): Promise<T> {
    return this.#inTransaction('BEGIN', body, what)
  }

  #inTransaction<T>(begin: string, body: (tx: Queryable) => Promise<T>, what: string): Promise<T> {
    const tx: Queryable = {
      run: (sql, params = []) => this.#run(sql, params),
      get: <R>(sql: string, params: SqlParams = []) => this.#get<R>(sql, params),
      all: <R>(sql: string, params: SqlParams = []) => this.#all<R>(sql, params),
      exec: (sql) => this.#exec(sql),
    }
    return this.#locked(() =>
      this.#retryBusy(async () => {
        await this.#exec(begin)
        try {
          const value = await body(tx)
          await this.#exec('COMMIT')
          return value
        } catch (e) {
          await this.#exec('ROLLBACK').catch(() => undefined) // SQLite may already have rolled back (SQLITE_FULL)
          throw e
        }
      }, what),
    )
  }

  close(): Promise<void> {
    if (this.#closed) return Promise.resolve()
    this.#closed = true
    return this.#locked(
      () =>
        new Promise<void>((resolve, reject) => this.#db.close((err) => (err ? reject(storeError(err, this.path, 'closing')) : resolve()))),
    )
  }

  #locked<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.#lock.then(fn, fn)
    this.#lock = next.catch(() => undefined)
    return next
  }

  /**
   * Retries `fn` while SQLite answers SQLITE_BUSY: besides a write lock held past the busy
   * timeout, SQLite answers BUSY without waiting while another connection runs WAL recovery or
   * cleans up as the last one to close, and that happens whenever processes open and close one
   * log in quick succession (every CLI call). Backoff with jitter, 10 ms doubling to 250 ms.
   */
  async #retryBusy<T>(fn: () => Promise<T>, what = 'querying'): Promise<T> {
    const start = Date.now()
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn()
      } catch (e) {
        if (!isBusy(e) || attempt >= this.#retries || Date.now() - start >= this.#busyBudgetMs) throw storeError(e, this.path, what)
        await sleep(Math.min(250, 10 * 2 ** attempt) * (0.5 + Math.random()))
      }
    }
  }

  #run(sql: string, params: SqlParams): Promise<RunInfo> {
    return new Promise((resolve, reject) => {
      this.#db.run(sql, params, function (err) {
        if (err) reject(err)
        else resolve({ lastID: this.lastID, changes: this.changes })
      })
    })
  }

  #get<T>(sql: string, params: SqlParams): Promise<T | undefined> {
    return new Promise((resolve, reject) => this.#db.get<T>(sql, params, (err, row) => (err ? reject(err) : resolve(row))))
  }

  #all<T>(sql: string, params: SqlParams): Promise<T[]> {
    return new Promise((resolve, reject) => this.#db.all<T>(sql, params, (err, rows) => (err ? reject(err) : resolve(rows))))
  }

  #exec(sql: string): Promise<void> {
    return new Promise((resolve, reject) => this.#db.exec(sql, (err) => (err ? reject(err) : resolve())))
  }
}

/** An SQLite URI for a file path (`%`, `?` and `#` escaped; Windows drive paths as `/C:/…`). */
export function fileUri(path: string, query: string): string {
  let p = path.replace(/\\/g, '/').replace(/[%?#]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`)
  if (/^[A-Za-z]:/.test(p)) p = `/${p}`
  return `file:${p}?${query}`
}
