import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { TINY } from './cli-harness'

/**
 * Long prompts through the CLI as a real process: a command line of tens of kilobytes used to
 * crash onnxruntime (SIGSEGV, nothing printed) when it opened its first session; in-process tests
 * cannot see that. Every answer must be a typed error line and a normal exit.
 */
const ROOT = join(import.meta.dirname, '../..')
const cache = mkdtempSync(join(tmpdir(), 'cli-long-prompt-'))
afterAll(() => rmSync(cache, { recursive: true, force: true }))

function cliProcess(args: string[]): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, BACKPACK_CACHE_DIR: cache }
  delete env.ORT_DISABLE_TELEMETRY // the CLI must protect itself
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'src/cli/index.ts', ...args],
      { cwd: ROOT, env, maxBuffer: 1 << 24 },
      (error, _stdout, stderr) => {
        const e = error as (Error & { code?: number; signal?: NodeJS.Signals }) | null
        resolve({ code: e ? (e.code ?? null) : 0, signal: e?.signal ?? null, stderr })
      },
    )
  })
}

describe('CLI prompts longer than the model (real process)', () => {
  it('predict --ids with 5,000 ids is too-long, exit 1', async () => {
    const ids = Array.from({ length: 5000 }, (_, i) => (i % 50000) + 1).join(',')
    const r = await cliProcess(['predict', '--checkpoint', TINY, '--ids', ids])
    expect(r.signal).toBeNull()
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/^error\[too-long\]/)
  })

  it('forward --text of 100,000 letters without a space is too-long, exit 1', async () => {
    const out = join(cache, 'forward-out')
    const r = await cliProcess(['forward', '--checkpoint', TINY, '--text', 'a'.repeat(100_000), '--out', out])
    expect(r.signal).toBeNull()
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/^error\[too-long\]/)
  })

  it('generate --text of 20,000 words is too-long; a blank --text is a bad-request (exit 2)', async () => {
    const long = await cliProcess(['generate', '--checkpoint', TINY, '--text', ' the'.repeat(20_000), '--max-new', '2'])
    expect(long.signal).toBeNull()
    expect(long.code).toBe(1)
    expect(long.stderr).toMatch(/^error\[too-long\]/)
    const blank = await cliProcess(['attribute', '--checkpoint', TINY, '--text', ' \t ', '--position=-1', '--target', ' the'])
    expect(blank.code).toBe(2)
    expect(blank.stderr).toMatch(/^error\[bad-request\]/)
  })
})
