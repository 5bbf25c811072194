import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll } from 'vitest'
import type { InterventionRunner } from '../../../src/main/interventions/intervention-runner'
import type { WorkerEngine } from '../../../src/main/runtime/worker-engine'
import { ModelSession } from '../../../src/main/session/model-session'

export const ROOT = join(import.meta.dirname, '../../..')
export const checkpoint = (name: string) => join(ROOT, 'test/fixtures/checkpoints', name)

/**
 * Opens a model session (the real engine and what is kept for it) on a committed fixture for a
 * test file, with BACKPACK_CACHE_DIR in a temporary folder (conversion cache, sense tables), and
 * cleans both up afterwards.
 */
export function useEngine(fixture: string): {
  engine: () => WorkerEngine
  session: () => ModelSession
  runner: () => InterventionRunner
  cache: () => string
} {
  let session: ModelSession | undefined
  let cache = ''
  const saved = process.env.BACKPACK_CACHE_DIR
  beforeAll(async () => {
    cache = mkdtempSync(join(tmpdir(), 'generation-cache-'))
    process.env.BACKPACK_CACHE_DIR = cache
    session = await ModelSession.open({ checkpointDir: checkpoint(fixture) }, { provider: 'cpu' })
  })
  afterAll(async () => {
    await session?.dispose()
    if (saved === undefined) delete process.env.BACKPACK_CACHE_DIR
    else process.env.BACKPACK_CACHE_DIR = saved
    rmSync(cache, { recursive: true, force: true })
  })
  const open = () => {
    if (!session) throw new Error('engine not open')
    return session
  }
  return {
    engine: () => open().engine,
    session: open,
    runner: () => open().runner,
    cache: () => cache,
  }
}
