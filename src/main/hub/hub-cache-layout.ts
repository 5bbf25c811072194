import { copyFile, lstat, readFile, rename, rm, stat, symlink, writeFile } from 'node:fs/promises'
import { basename, dirname, join, relative } from 'node:path'
import { getRepoFolderName } from '@huggingface/hub'
import { createFolder } from '../paths/create-folder'
import { COMMIT_HASH } from './hub-names'

/**
 * The standard Hugging Face cache layout (shared with Python's huggingface_hub/transformers):
 *
 *   <cache>/models--owner--name/
 *     blobs/<etag>                 file contents, named by sha256 (LFS) or git blob sha1
 *     blobs/<etag>.incomplete      a partial download, resumed with an HTTP Range request
 *     snapshots/<commit>/<file>    relative symlink → ../../blobs/<etag>
 *     refs/<revision>              the commit a branch/tag pointed to (no trailing newline)
 *     .no_exist/<commit>/<file>    empty marker: the file is known not to exist at that commit
 *   <cache>/.locks/models--owner--name/<etag>.lock   one downloader per blob
 */
export interface HubCacheLayout {
  repoDir: string
  blobPath(etag: string): string
  /** `<cache>/.locks/models--owner--name/<etag>.lock`, where huggingface_hub locks a blob. */
  lockPath(etag: string): string
  snapshotDir(commit: string): string
  snapshotFile(commit: string, file: string): string
  /** The commit a revision points to in the cache, or null when unknown. */
  readRef(revision: string): Promise<string | null>
  writeRef(revision: string, commit: string): Promise<void>
  /** True when the snapshot entry exists and resolves to a readable file. */
  hasSnapshotFile(commit: string, file: string): Promise<boolean>
  /** Points snapshots/<commit>/<file> at the blob (symlink; a copy where symlinks are not allowed). */
  linkSnapshotFile(commit: string, file: string, blob: string): Promise<void>
  markMissing(commit: string, file: string): Promise<void>
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile()
  } catch {
    return false
  }
}

export function hubCacheLayout(cacheDir: string, repo: string): HubCacheLayout {
  const repoDir = join(cacheDir, getRepoFolderName({ type: 'model', name: repo }))
  const snapshotDir = (commit: string) => join(repoDir, 'snapshots', commit)
  const snapshotFile = (commit: string, file: string) => join(snapshotDir(commit), ...file.split('/'))
  return {
    repoDir,
    blobPath: (etag) => join(repoDir, 'blobs', etag),
    lockPath: (etag) => join(cacheDir, '.locks', basename(repoDir), `${etag}.lock`),
    snapshotDir,
    snapshotFile,
    async readRef(revision) {
      if (COMMIT_HASH.test(revision)) return revision
      try {
        const commit = (await readFile(join(repoDir, 'refs', ...revision.split('/')), 'utf8')).trim()
        return COMMIT_HASH.test(commit) ? commit : null
      } catch {
        return null
      }
    },
    async writeRef(revision, commit) {
      if (revision === commit) return
      const path = join(repoDir, 'refs', ...revision.split('/'))
      createFolder(dirname(path))
      const tmp = `${path}.${process.pid}.tmp`
      await writeFile(tmp, commit)
      await rename(tmp, path)
    },
    hasSnapshotFile: (commit, file) => isFile(snapshotFile(commit, file)),
    async linkSnapshotFile(commit, file, blob) {
      const target = snapshotFile(commit, file)
      createFolder(dirname(target))
      await rm(target, { force: true })
      try {
        await symlink(relative(dirname(target), blob), target)
      } catch (e) {
        // Windows without developer mode cannot create symlinks: Python copies then, and so do we.
        if ((e as NodeJS.ErrnoException).code !== 'EPERM') throw e
        await copyFile(blob, target)
      }
    },
    async markMissing(commit, file) {
      const marker = join(repoDir, '.no_exist', commit, ...file.split('/'))
      createFolder(dirname(marker))
      try {
        await lstat(marker)
      } catch {
        await writeFile(marker, '')
      }
    },
  }
}
