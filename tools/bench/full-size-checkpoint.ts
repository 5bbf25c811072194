import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { cacheDir } from '../../src/main/paths/app-paths'

/**
 * The full-size random Backpack-GPT2 checkpoint used by `npm run bench` and `npm run test:slow`
 * (d=768, 12 heads, 12 layers, 16 senses, vocab 50264, 512 positions, fp32 torch-zip .bin,
 * 683.5 MB): generated once by tools/fixtures/make_checkpoint.py into a cache folder, never
 * committed. Folder: $BACKPACK_BENCH_DIR, else <cacheDir()>/bench.
 */
export const REPO_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)))
export const FULL_SIZE_SEED = 7

export function benchDir(): string {
  return process.env.BACKPACK_BENCH_DIR ? resolve(process.env.BACKPACK_BENCH_DIR) : join(cacheDir(), 'bench')
}

/** The reference tools' interpreter: $BACKPACK_PYTHON, else tools/.venv/bin/python. */
export function referencePython(): string {
  const py = process.env.BACKPACK_PYTHON ?? join(REPO_ROOT, 'tools', '.venv', 'bin', 'python')
  if (!existsSync(py))
    throw new Error(`reference Python not found at ${py}: create tools/.venv (torch, numpy, safetensors) or set BACKPACK_PYTHON`)
  return py
}

/** Returns the checkpoint folder, generating it first when config.json or the weights are missing. */
export function ensureFullSizeCheckpoint(log: (line: string) => void = () => {}): { dir: string; generatedMs: number | null } {
  const dir = join(benchDir(), `random-full-seed${FULL_SIZE_SEED}`)
  const weights = join(dir, 'pytorch_model.bin')
  if (existsSync(join(dir, 'config.json')) && existsSync(weights) && statSync(weights).size > 600e6) return { dir, generatedMs: null }
  mkdirSync(dir, { recursive: true })
  log(`generating the full-size random checkpoint in ${dir} …`)
  const t0 = performance.now()
  execFileSync(
    referencePython(),
    [join(REPO_ROOT, 'tools', 'fixtures', 'make_checkpoint.py'), '--out', dir, '--seed', String(FULL_SIZE_SEED), '--format', 'bin'],
    {
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  )
  return { dir, generatedMs: performance.now() - t0 }
}
