import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll } from 'vitest'
import { runCli } from '../../src/cli/run-cli'

/** Helpers of the CLI tests: run a command in-process, and a temporary cache dir. */
export const TINY = join(import.meta.dirname, '../fixtures/checkpoints/tiny-fullvocab')

export async function cli(args: string[]) {
  const out = { stdout: '', stderr: '' }
  const code = await runCli(args, {
    stdout: { write: (s: string) => (out.stdout += s) },
    stderr: { write: (s: string) => (out.stderr += s) },
  })
  return { code, ...out, json: () => JSON.parse(out.stdout) }
}

/**
 * Points BACKPACK_CACHE_DIR at a fresh temp dir for this file (restored and removed after it);
 * returns a getter for its path. Tests may also write their input files there.
 */
export function useTempCache(prefix = 'cli-test-'): () => string {
  let cache = ''
  const saved = process.env.BACKPACK_CACHE_DIR
  beforeAll(() => {
    cache = mkdtempSync(join(tmpdir(), prefix))
    process.env.BACKPACK_CACHE_DIR = cache
  })
  afterAll(() => {
    if (saved === undefined) delete process.env.BACKPACK_CACHE_DIR
    else process.env.BACKPACK_CACHE_DIR = saved
    rmSync(cache, { recursive: true, force: true })
  })
  return () => cache
}
