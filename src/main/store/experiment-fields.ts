import { WorkbenchError } from '../../shared/errors'

/** Checks on the free-text fields of an experiment (untrusted: CLI, IPC, bundles). */

export const LIMITS = { name: 500, notes: 100_000, tag: 100, tags: 100, folder: 500 } as const

export function checkName(name: unknown): string {
  if (typeof name !== 'string' || name.trim() === '' || name.length > LIMITS.name) {
    throw new WorkbenchError(
      'bad-request',
      `experiment name must be a non-empty string of at most ${LIMITS.name} characters, got ${JSON.stringify(name)?.slice(0, 80)}`,
    )
  }
  return name
}

export function checkNotes(notes: unknown): string {
  if (notes === undefined || notes === null) return ''
  if (typeof notes !== 'string' || notes.length > LIMITS.notes) {
    throw new WorkbenchError('bad-request', `experiment notes must be a string of at most ${LIMITS.notes} characters`)
  }
  return notes
}

export function checkFolder(folder: unknown): string {
  if (folder === undefined || folder === null) return ''
  if (typeof folder !== 'string' || folder.length > LIMITS.folder) {
    throw new WorkbenchError('bad-request', `experiment folder must be a string of at most ${LIMITS.folder} characters`)
  }
  return folder.trim()
}

/** Tags are trimmed, non-empty, unique; order does not matter. */
export function checkTags(tags: unknown): string[] {
  if (tags === undefined || tags === null) return []
  if (!Array.isArray(tags) || tags.length > LIMITS.tags) {
    throw new WorkbenchError('bad-request', `experiment tags must be a list of at most ${LIMITS.tags} strings`)
  }
  const out = new Set<string>()
  for (const t of tags) {
    if (typeof t !== 'string' || t.trim() === '' || t.length > LIMITS.tag) {
      throw new WorkbenchError(
        'bad-request',
        `experiment tag ${JSON.stringify(t)} must be a non-empty string of at most ${LIMITS.tag} characters`,
      )
    }
    out.add(t.trim())
  }
  return [...out].sort()
}

export function checkId(id: unknown, what = 'experiment'): number {
  if (typeof id === 'string' && /^\d+$/.test(id)) id = Number(id)
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 1) {
    throw new WorkbenchError('bad-request', `${what} id must be a positive integer, got ${JSON.stringify(id)}`)
  }
  return id
}

export function checkHash(hash: unknown): string | null {
  if (hash === undefined || hash === null) return null
  if (typeof hash !== 'string' || !/^[0-9a-f]{8,128}$/i.test(hash)) {
    throw new WorkbenchError('bad-request', `checkpoint hash must be a hex string of 8–128 characters, got ${JSON.stringify(hash)}`)
  }
  return hash.toLowerCase()
}
