import { execFileSync } from 'node:child_process'
import { join } from 'node:path'
import { expect } from 'vitest'
import { readNpy } from '../../src/main/npy/npy'
import { compareTensors } from '../../tools/bench/compare-tensors'
import { REPO_ROOT, benchDir, referencePython } from '../../tools/bench/full-size-checkpoint'

/** Shared by the full-size parity tests: run both sides into `work`, compare one tensor. */
export const RELATIVE_TOLERANCE = 1e-4

export function runBothSides(ckpt: string, ids: readonly number[], work: string, edits?: string): void {
  const extra = edits ? ['--edits', edits] : []
  execFileSync(
    referencePython(),
    [
      join(REPO_ROOT, 'tools/reference/run_reference.py'),
      '--checkpoint',
      ckpt,
      '--ids',
      ids.join(','),
      '--out',
      join(work, 'ref'),
      '--dtype',
      'float64',
      ...extra,
    ],
    {
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  )
  const summary = execFileSync(
    join(REPO_ROOT, 'node_modules/.bin/tsx'),
    [join(REPO_ROOT, 'src/cli/index.ts'), 'forward', '--checkpoint', ckpt, '--ids', ids.join(','), '--out', join(work, 'ours'), ...extra],
    {
      cwd: REPO_ROOT,
      env: { ...process.env, BACKPACK_CACHE_DIR: join(benchDir(), 'cache') },
      stdio: ['ignore', 'pipe', 'inherit'],
      maxBuffer: 16 << 20,
    },
  )
  console.log(`ours: ${summary.toString().trim()}`)
}

/** max abs error ≤ RELATIVE_TOLERANCE × max |reference|; logs and names the worst index. */
export function expectClose(work: string, name: string): void {
  const ref = readNpy(join(work, 'ref', `${name}.npy`))
  const ours = readNpy(join(work, 'ours', `${name}.npy`))
  expect(ours.shape).toEqual(ref.shape)
  const c = compareTensors(name, ref.shape, ours.data, ref.data)
  const report = `${name}: max abs error ${c.maxAbsError.toExponential(3)} (relative ${c.relativeError.toExponential(3)}, scale ${c.scale.toPrecision(4)}) at [${c.worstIndex.join(', ')}]: ours ${c.ours}, reference ${c.reference}`
  console.log(report)
  expect(c.relativeError, report).toBeLessThanOrEqual(RELATIVE_TOLERANCE)
}
