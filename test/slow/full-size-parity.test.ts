import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readNpy } from '../../src/main/npy/npy'
import { compareTensors } from '../../tools/bench/compare-tensors'
import { REPO_ROOT, benchDir, ensureFullSizeCheckpoint, referencePython } from '../../tools/bench/full-size-checkpoint'

// Full-size parity (issue 2 §7): d=768, 12 heads, 12 layers, 16 senses, vocab 50264, random
// weights. Our CLI `forward` (TS → ONNX → onnxruntime-node) against the independent PyTorch
// reference in float64, on the same ids. Tolerance: max abs error ≤ 1e-4 × max |reference|
// per tensor; the message names the worst index.
const RELATIVE_TOLERANCE = 1e-4

// 48 ids: repeats, <|endoftext|>, the highest text id, padding ids, the GPT-2 example sentence
const IDS = [
  50256, 15496, 995, 11, 262, 28084, 318, 925, 416, 4196, 13, 383, 28084, 318, 407, 925, 416, 6574, 13, 50256,
  464, 15849, 6807, 656, 262, 2119, 11, 673, 339, 50255, 50257, 50263, 0, 1, 2, 28084, 4196, 6574, 15849, 15849,
  198, 198, 31373, 339, 673, 339, 673, 13,
]

describe('full-size parity: CLI forward vs the PyTorch reference', () => {
  let ckpt: string
  let work: string
  const tensors = ['logits', 'senses', 'contextualization'] as const

  beforeAll(() => {
    ckpt = ensureFullSizeCheckpoint((l) => console.log(l)).dir
    work = mkdtempSync(join(tmpdir(), 'backpack-parity-'))
    const ids = IDS.join(',')
    execFileSync(referencePython(), [join(REPO_ROOT, 'tools/reference/run_reference.py'), '--checkpoint', ckpt, '--ids', ids, '--out', join(work, 'ref'), '--dtype', 'float64'], {
      stdio: ['ignore', 'ignore', 'inherit'],
    })
    const summary = execFileSync(join(REPO_ROOT, 'node_modules/.bin/tsx'), [join(REPO_ROOT, 'src/cli/index.ts'), 'forward', '--checkpoint', ckpt, '--ids', ids, '--out', join(work, 'ours')], {
      cwd: REPO_ROOT,
      env: { ...process.env, BACKPACK_CACHE_DIR: join(benchDir(), 'cache') },
      stdio: ['ignore', 'pipe', 'inherit'],
      maxBuffer: 16 << 20,
    })
    console.log(`ours: ${summary.toString().trim()}`)
  })

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true })
  })

  it('wrote the ids the reference used', () => {
    expect(JSON.parse(readFileSync(join(work, 'ref', 'ids.json'), 'utf8'))).toEqual(IDS)
  })

  for (const name of tensors) {
    it(`${name} within ${RELATIVE_TOLERANCE} of the reference's scale`, () => {
      const ref = readNpy(join(work, 'ref', `${name}.npy`))
      const ours = readNpy(join(work, 'ours', `${name}.npy`))
      expect(ours.shape).toEqual(ref.shape)
      const c = compareTensors(name, ref.shape, ours.data, ref.data)
      const report = `${name}: max abs error ${c.maxAbsError.toExponential(3)} (relative ${c.relativeError.toExponential(3)}, scale ${c.scale.toPrecision(4)}) at [${c.worstIndex.join(', ')}]: ours ${c.ours}, reference ${c.reference}`
      console.log(report)
      expect(c.relativeError, report).toBeLessThanOrEqual(RELATIVE_TOLERANCE)
    })
  }
})
