import type { HubCacheLayout } from './hub-cache-layout'
import { CONFIG_FILE, selectCheckpointFiles, WEIGHT_FILES } from './select-checkpoint-files'

/** What the local cache holds for a revision, without any network request. */
export interface CachedSnapshot {
  /** The commit the revision points to in the cache, or null when refs/<revision> is absent. */
  commit: string | null
  /** Files present in snapshots/<commit>/ (the requested ones, or the default checkpoint set). */
  files: string[]
  /** What is missing, in words; empty when the snapshot is complete. */
  missing: string[]
}

export async function cachedSnapshot(layout: HubCacheLayout, revision: string, requested?: string[]): Promise<CachedSnapshot> {
  const commit = await layout.readRef(revision)
  const wanted = requested ?? [CONFIG_FILE, ...WEIGHT_FILES]
  if (!commit) {
    const missing = requested ?? selectCheckpointFiles(() => false).missing
    return { commit: null, files: [], missing }
  }
  const present = new Set<string>()
  for (const file of wanted) if (await layout.hasSnapshotFile(commit, file)) present.add(file)
  if (requested) {
    return { commit, files: requested.filter((f) => present.has(f)), missing: requested.filter((f) => !present.has(f)) }
  }
  return { commit, ...selectCheckpointFiles((f) => present.has(f)) }
}
