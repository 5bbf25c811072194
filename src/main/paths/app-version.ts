import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const PACKAGE_NAME = 'backpack-workbench'
let cached: string | undefined

/**
 * The workbench's version from its package.json, found by walking up from this module: the
 * sources (src/main/paths) and the built bundles (out/cli, out/main) sit at different depths.
 * 'unknown' when no package.json of this package is found.
 */
export function appVersion(): string {
  if (cached) return cached
  cached = 'unknown'
  let dir = dirname(fileURLToPath(import.meta.url))
  for (let i = 0; i < 5; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string }
      if (pkg.name === PACKAGE_NAME) {
        cached = pkg.version ?? 'unknown'
        break
      }
    } catch {
      // no readable package.json here: look one folder up
    }
    dir = dirname(dir)
  }
  return cached
}
