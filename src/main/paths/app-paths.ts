import { existsSync } from 'node:fs'
import { homedir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { WorkbenchError } from '../../shared/errors'

/**
 * Where things live on disk. Every location can be overridden by an environment variable so
 * tests and CI never touch a user's directories.
 */
const here = dirname(fileURLToPath(import.meta.url))

/** The repository (dev, CLI) or app root that holds `resources/`. */
export function resourcesDir(): string {
  if (process.env.BACKPACK_RESOURCES_DIR) return resolve(process.env.BACKPACK_RESOURCES_DIR)
  // src/main/paths → repo root; out/main → repo root (electron-vite bundles flatten to out/main)
  for (const up of ['../../..', '../..', '..']) {
    const candidate = resolve(here, up, 'resources')
    if (existsSync(join(candidate, 'demo-backpack'))) return candidate
  }
  return resolve(here, '../../../resources')
}

/** The bundled demo checkpoint (issue 3), the default when no --checkpoint is given. */
export function demoCheckpointDir(): string {
  return join(resourcesDir(), 'demo-backpack')
}

/** Resolves an optional checkpoint argument to a directory, falling back to the bundled demo. */
export function resolveCheckpointDir(arg?: string): string {
  if (arg) return resolve(arg)
  const demo = demoCheckpointDir()
  if (existsSync(join(demo, 'config.json'))) return demo
  throw new WorkbenchError('checkpoint-missing', `no --checkpoint given and the bundled demo checkpoint is missing at ${demo}`)
}

/** Per-user data directory (experiment database, recent checkpoints). */
export function userDataDir(): string {
  if (process.env.BACKPACK_DATA_DIR) return resolve(process.env.BACKPACK_DATA_DIR)
  const xdg = process.env.XDG_DATA_HOME
  if (process.platform === 'win32' && process.env.APPDATA) return join(process.env.APPDATA, 'backpack-workbench')
  if (process.platform === 'darwin') return join(homedir(), 'Library', 'Application Support', 'backpack-workbench')
  return join(xdg || join(homedir(), '.local', 'share'), 'backpack-workbench')
}

/** Cache for converted ONNX models and sense tables, keyed by checkpoint content hash. */
export function cacheDir(): string {
  if (process.env.BACKPACK_CACHE_DIR) return resolve(process.env.BACKPACK_CACHE_DIR)
  if (process.platform === 'win32' && process.env.LOCALAPPDATA) return join(process.env.LOCALAPPDATA, 'backpack-workbench', 'cache')
  if (process.platform === 'darwin') return join(homedir(), 'Library', 'Caches', 'backpack-workbench')
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'backpack-workbench')
}
