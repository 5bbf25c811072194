import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

/** The names in a folder and every file's bytes, to show that nothing was created or changed. */
export function folderSnapshot(dir: string): Map<string, Buffer> {
  return new Map(
    readdirSync(dir)
      .sort()
      .map((name) => [name, readFileSync(join(dir, name))]),
  )
}

/** Names that differ between two snapshots (added, removed, or with other bytes). */
export function changedFiles(before: Map<string, Buffer>, after: Map<string, Buffer>): string[] {
  const names = new Set([...before.keys(), ...after.keys()])
  return [...names].filter((n) => !before.get(n) || !after.get(n) || !before.get(n)!.equals(after.get(n)!)).sort()
}
