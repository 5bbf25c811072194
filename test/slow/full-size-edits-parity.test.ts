import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { ensureFullSizeCheckpoint } from '../../tools/bench/full-size-checkpoint'
import { RELATIVE_TOLERANCE, expectClose, runBothSides } from './parity-run'

// Full-size parity under sense edits (issue 4): `forward --edits` against the reference's
// sense_edits.py on the same document — scale-sense (spec §4.4, " nurse" sense 10 → 0) and
// knowledge-edit (§4.5, " MacBook": " Apple" → " HP"). Same tolerance as the plain parity test.
const IDS = [464, 15849, 6807, 656, 262, 2119, 11, 383, 28084, 318, 925, 416, 4196, 13, 15849, 28084, 4196, 6574]
const EDITS = {
  format: 'backpack-sense-edits',
  version: 1,
  edits: [
    { kind: 'scale-sense', token: 15849, sense: 10, factor: 0 },
    { kind: 'knowledge-edit', token: 28084, remove: 4196, add: 6574 },
  ],
}

describe('full-size parity under edits: CLI forward --edits vs the PyTorch reference', () => {
  let work: string

  beforeAll(() => {
    const ckpt = ensureFullSizeCheckpoint((l) => console.log(l)).dir
    work = mkdtempSync(join(tmpdir(), 'backpack-edits-parity-'))
    const edits = join(work, 'edits.json')
    writeFileSync(edits, JSON.stringify(EDITS))
    runBothSides(ckpt, IDS, work, edits)
  })

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true })
  })

  for (const name of ['logits', 'senses', 'contextualization']) {
    it(`edited ${name} within ${RELATIVE_TOLERANCE} of the reference's scale`, () => expectClose(work, name))
  }
})
