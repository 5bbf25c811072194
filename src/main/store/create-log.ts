import { randomBytes } from 'node:crypto'
import { linkSync, rmSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { WorkbenchError } from '../../shared/errors'
import { createFolder } from '../paths/create-folder'
import { Database, storeError, type OpenOptions } from './database'
import { LOG_APPLICATION_ID } from './log-file'
import { readLogFacts } from './log-schema'

/** Page size of databases this app creates (bytes). */
export const NEW_PAGE_SIZE = 16384

/**
 * Makes a new, empty experiment log at `file` (16 KiB pages, our application id, WAL; the
 * migrations run when it is opened). A missing file is built under a temporary name beside it
 * and linked into place, so other processes never see a half-made log and two processes
 * creating one at once end with one log (the second link fails with EEXIST). An existing empty
 * file is initialised in place, inside a write transaction that first checks it is still blank.
 */
export async function createLog(file: string, state: 'absent' | 'empty', options: OpenOptions): Promise<void> {
  if (state === 'absent') {
    try {
      createFolder(dirname(file))
    } catch (e) {
      throw new WorkbenchError('store-io', `cannot create the folder for experiment database ${file}: ${(e as Error).message}`, {
        cause: e,
      })
    }
    const temp = join(dirname(file), `.${basename(file)}.new-${process.pid}-${randomBytes(4).toString('hex')}`)
    try {
      await initialise(temp, file, options)
      linkSync(temp, file)
      return
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code
      if (code === 'EEXIST') return // another process created it first: open theirs
      if (e instanceof WorkbenchError || (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP'))
        throw storeError(e, file, 'creating')
      // a file system without hard links: initialise the file in place instead
    } finally {
      for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(temp + suffix, { force: true })
    }
  }
  await initialise(file, file, options)
}

async function initialise(path: string, file: string, options: OpenOptions): Promise<void> {
  const db = await Database.open(path, { ...options, readonly: false, immutable: false, create: true })
  try {
    await db.exec(`PRAGMA page_size = ${NEW_PAGE_SIZE}`) // takes effect only while the file is empty
    await db.transaction(async (tx) => {
      const facts = await readLogFacts(tx)
      if (facts.applicationId === LOG_APPLICATION_ID) return // another process initialised it
      if (facts.applicationId !== 0 || facts.userVersion !== 0 || facts.objects.size > 0) {
        throw new WorkbenchError(
          'store-foreign',
          `${file} was filled by another program while it was being made an experiment log; it was left as that program wrote it`,
        )
      }
      await tx.exec(`PRAGMA application_id = ${LOG_APPLICATION_ID}`)
    }, 'creating the experiment log')
    const mode = await db.get<{ journal_mode: string }>('PRAGMA journal_mode = WAL')
    if (mode?.journal_mode !== 'wal') {
      throw new WorkbenchError(
        'store-io',
        `experiment database ${file} could not switch to WAL journaling (got ${mode?.journal_mode}); the file system may not support shared memory`,
      )
    }
  } finally {
    await db.close()
  }
}
