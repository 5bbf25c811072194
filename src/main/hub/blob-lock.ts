import { dirname } from 'node:path'
import { WorkbenchError } from '../../shared/errors'
import { tryFileLock } from '../fs/file-lock'
import { createFolder } from '../paths/create-folder'

/**
 * One writer per blob across processes (the app and a CLI may download the same checkpoint): the
 * workbench's file lock (src/main/fs/file-lock.ts) at `.locks/models--owner--name/<etag>.lock`
 * (the path huggingface_hub locks with flock). A lock left by a process that no longer exists on
 * this host is taken over, and so is one never written after a few seconds.
 */
export async function blobLock(path: string, what: string): Promise<() => Promise<void>> {
  createFolder(dirname(path))
  const lock = await tryFileLock(path)
  if (!lock)
    throw new WorkbenchError(
      'hub',
      `${what} is being downloaded by another process (lock ${path}); wait for it to finish, or delete the lock if that process is gone`,
    )
  return () => lock.release()
}
