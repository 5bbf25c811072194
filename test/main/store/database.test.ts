import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Database, storeError } from '../../../src/main/store/database'
import { dbPath, tempDir } from './helpers/temp-db'

let tmp: ReturnType<typeof tempDir>
beforeEach(() => {
  tmp = tempDir('db-')
})
afterEach(() => tmp.cleanup())

const sqliteError = (code: string) => Object.assign(new Error(`${code}: something`), { code })

describe('Database', () => {
  it('maps SQLite error codes to typed store errors', () => {
    expect(storeError(sqliteError('SQLITE_NOTADB'), '/x', 'opening').code).toBe('store-corrupt')
    expect(storeError(sqliteError('SQLITE_CORRUPT'), '/x', 'reading').code).toBe('store-corrupt')
    expect(storeError(sqliteError('SQLITE_FULL'), '/x', 'saving').code).toBe('store-io')
    expect(storeError(sqliteError('SQLITE_READONLY'), '/x', 'saving').code).toBe('store-io')
    expect(storeError(sqliteError('SQLITE_CANTOPEN'), '/x', 'opening').code).toBe('store-io')
    expect(storeError(sqliteError('SQLITE_IOERR_WRITE'), '/x', 'saving').code).toBe('store-io')
    expect(storeError(sqliteError('SQLITE_BUSY'), '/x', 'saving').code).toBe('store-io')
    expect(storeError(sqliteError('SQLITE_CONSTRAINT'), '/x', 'saving').code).toBe('bad-request')
    expect(storeError(new Error('odd'), '/x', 'saving').code).toBe('internal')
    expect(storeError(sqliteError('SQLITE_FULL'), '/data/e.sqlite', 'saving an experiment').message).toContain('/data/e.sqlite')
  })

  it('rolls a failed transaction back completely', async () => {
    const db = await Database.open(dbPath(tmp.dir))
    await db.exec('CREATE TABLE t (x INTEGER UNIQUE)')
    await expect(
      db.transaction(async (tx) => {
        await tx.run('INSERT INTO t VALUES (1)')
        await tx.run('INSERT INTO t VALUES (2)')
        await tx.run('INSERT INTO t VALUES (1)') // constraint violation
      }),
    ).rejects.toMatchObject({ code: 'bad-request' })
    expect(await db.all('SELECT x FROM t')).toEqual([])
    await db.close()
  })

  it('never interleaves two transactions of one process on the shared connection', async () => {
    const db = await Database.open(dbPath(tmp.dir))
    await db.exec('CREATE TABLE log (who TEXT, step INTEGER)')
    const body = (who: string) => async (tx: Parameters<Parameters<Database['transaction']>[0]>[0]) => {
      for (let step = 0; step < 5; step++) {
        await tx.run('INSERT INTO log VALUES (?, ?)', [who, step])
        await new Promise((r) => setTimeout(r, 2))
      }
    }
    const failing = db.transaction(async (tx) => {
      await body('b')(tx)
      throw new Error('b fails after writing')
    })
    await Promise.all([db.transaction(body('a')), failing.catch(() => undefined), db.transaction(body('c'))])
    const rows = await db.all<{ who: string }>('SELECT who FROM log ORDER BY rowid')
    expect(rows.map((r) => r.who).join('')).toBe('aaaaaccccc') // b rolled back alone, a and c whole
    await db.close()
  })

  it('waits for another connection’s write lock, and gives store-io past the retry budget', async () => {
    const path = dbPath(tmp.dir)
    const a = await Database.open(path)
    await a.exec('PRAGMA journal_mode = WAL; CREATE TABLE t (x)')
    const patient = await Database.open(path, { busyTimeoutMs: 20, retries: 8 })
    const impatient = await Database.open(path, { busyTimeoutMs: 10, retries: 0 })

    let release!: () => void
    const held = new Promise<void>((r) => (release = r))
    const holder = a.transaction(async (tx) => {
      await tx.run('INSERT INTO t VALUES (1)')
      await held
    })
    await new Promise((r) => setTimeout(r, 20)) // the holder has the lock now
    await expect(impatient.transaction((tx) => tx.run('INSERT INTO t VALUES (3)'))).rejects.toMatchObject({ code: 'store-io' })
    const waiting = patient.transaction((tx) => tx.run('INSERT INTO t VALUES (2)'))
    setTimeout(release, 100) // longer than one busy timeout: the retry loop has to carry it
    await holder
    await waiting
    expect((await a.all<{ x: number }>('SELECT x FROM t ORDER BY x')).map((r) => r.x)).toEqual([1, 2])
    await Promise.all([a.close(), patient.close(), impatient.close()])
  })
})
