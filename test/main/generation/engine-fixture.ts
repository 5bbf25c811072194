import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll } from 'vitest'
import { openEngine } from '../../../src/main/runtime/open-engine'
import type { WorkerEngine } from '../../../src/main/runtime/worker-engine'

export const ROOT = join(import.meta.dirname, '../../..')
export const checkpoint = (name: string) => join(ROOT, 'test/fixtures/checkpoints', name)

/**
 * Opens the real engine on a committed fixture for a test file, with BACKPACK_CACHE_DIR in a
 * temporary folder (conversion cache, sense tables), and cleans both up afterwards.
 */
export function useEngine(fixture: string): { engine: () => WorkerEngine; cache: () => string } {
  let engine: WorkerEngine | undefined
  let cache = ''
  const saved = process.env.BACKPACK_CACHE_DIR
  beforeAll(async () => {
    cache = mkdtempSync(join(tmpdir(), 'generation-cache-'))
    process.env.BACKPACK_CACHE_DIR = cache
    engine = await openEngine({ checkpointDir: checkpoint(fixture), provider: 'cpu' })
  })
  afterAll(async () => {
    await engine?.dispose()
    if (saved === undefined) delete process.env.BACKPACK_CACHE_DIR
    else process.env.BACKPACK_CACHE_DIR = saved
    rmSync(cache, { recursive: true, force: true })
  })
  return {
    engine: () => {
      if (!engine) throw new Error('engine not open')
      return engine
    },
    cache: () => cache,
  }
}
