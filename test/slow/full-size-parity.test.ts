import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ensureFullSizeCheckpoint } from '../../tools/bench/full-size-checkpoint'
import { RELATIVE_TOLERANCE, expectClose, runBothSides } from './parity-run'

// Full-size parity (tolerance as in docs/engine.md): d=768, 12 heads, 12 layers, 16 senses, vocab 50264, random
// weights. Our CLI `forward` (TS → ONNX → onnxruntime-node) against the independent PyTorch
// reference in float64, on the same ids. Tolerance: max abs error ≤ 1e-4 × max |reference|
// per tensor; the message names the worst index.

// 48 ids: repeats, <|endoftext|>, the highest text id, padding ids, the GPT-2 example sentence
const IDS = [
  50256, 15496, 995, 11, 262, 28084, 318, 925, 416, 4196, 13, 383, 28084, 318, 407, 925, 416, 6574, 13, 50256, 464, 15849, 6807, 656, 262,
  2119, 11, 673, 339, 50255, 50257, 50263, 0, 1, 2, 28084, 4196, 6574, 15849, 15849, 198, 198, 31373, 339, 673, 339, 673, 13,
]

describe('full-size parity: CLI forward vs the PyTorch reference', () => {
  let work: string

  beforeAll(() => {
    const ckpt = ensureFullSizeCheckpoint((l) => console.log(l)).dir
    work = mkdtempSync(join(tmpdir(), 'backpack-parity-'))
    runBothSides(ckpt, IDS, work)
  })

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true })
  })

  it('wrote the ids the reference used', () => {
    expect(JSON.parse(readFileSync(join(work, 'ref', 'ids.json'), 'utf8'))).toEqual(IDS)
  })

  for (const name of ['logits', 'senses', 'contextualization']) {
    it(`${name} within ${RELATIVE_TOLERANCE} of the reference's scale`, () => expectClose(work, name))
  }
})
