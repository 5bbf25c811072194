import { WorkbenchError } from '../../shared/errors'

/**
 * Validation of the three untrusted names that end up in URLs and cache paths: repo id,
 * revision and file path. Anything that could escape the cache folder is rejected.
 */

const REPO_PART = /^[A-Za-z0-9][A-Za-z0-9._-]{0,95}$/
export const COMMIT_HASH = /^[0-9a-f]{40}$/

/** `owner/name` (or a legacy single `name`), as on huggingface.co. */
export function validateRepoId(repo: string): string {
  const parts = repo.split('/')
  const ok = parts.length <= 2 && parts.every((p) => REPO_PART.test(p) && !p.includes('..') && !p.includes('--'))
  if (!ok) {
    throw new WorkbenchError(
      'bad-request',
      `--repo must look like "owner/name" (letters, digits, . _ -; no ".." or "--"), got ${JSON.stringify(repo)}`,
    )
  }
  return repo
}

function safeRelativePath(value: string, what: string, example: string): string {
  const segments = value.split('/')
  const bad =
    value.length === 0 ||
    value.length > 1000 ||
    value.includes('\\') ||
    [...value].some((c) => c.charCodeAt(0) < 0x20) ||
    segments.some((s) => s === '' || s === '.' || s === '..')
  if (bad) {
    throw new WorkbenchError(
      'bad-request',
      `${what} must be a relative path with "/" separators and no "." or ".." segments (e.g. ${example}), got ${JSON.stringify(value)}`,
    )
  }
  return value
}

/** A branch, tag, `refs/pr/N` or 40-hex commit. */
export function validateRevision(revision: string): string {
  return safeRelativePath(revision, '--revision', '"main", "refs/pr/4" or a 40-hex commit')
}

/** A file path inside the repository. */
export function validateRepoFile(file: string): string {
  return safeRelativePath(file, 'a repository file', '"config.json"')
}
