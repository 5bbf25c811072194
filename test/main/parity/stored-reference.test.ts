import { cpSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readCheckpoint } from '../../../src/main/checkpoint/read-checkpoint'
import { readStoredReference } from '../../../src/main/parity/stored-reference'
import type { BackpackConfig } from '../../../src/shared/model/config'

// reference/ as a checkpoint may ship it: absent → null; complete → ids and tensors of the right
// shapes; partial or malformed → checkpoint-format; shapes that do not fit → checkpoint-shape.
const GOLDEN = resolve('test/fixtures/golden/small-bin')
let root: string
let config: BackpackConfig

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'bw-stored-ref-'))
  config = (await readCheckpoint(resolve('test/fixtures/checkpoints/small-bin'))).config
})
afterAll(() => rmSync(root, { recursive: true, force: true }))

function checkpointWithReference(name: string): string {
  const dir = join(root, name)
  cpSync(GOLDEN, join(dir, 'reference'), { recursive: true })
  return dir
}

describe('readStoredReference', () => {
  it('answers null for a checkpoint without reference/', () => {
    expect(readStoredReference(join(root, 'none'), config)).toBeNull()
  })

  it('reads ids and the three tensors with their shapes', () => {
    const ref = readStoredReference(checkpointWithReference('complete'), config)!
    expect(ref.ids).toEqual([5, 17, 300, 5, 42, 9, 17, 17, 100, 511, 0, 5])
    expect([ref.logits.shape, ref.senses.shape, ref.contextualization.shape]).toEqual([
      [12, 512],
      [16, 12, 64],
      [16, 12, 12],
    ])
  })

  it('refuses a partial folder, malformed ids and ids outside the vocabulary (checkpoint-format)', () => {
    const partial = checkpointWithReference('partial')
    unlinkSync(join(partial, 'reference', 'senses.npy'))
    expect(() => readStoredReference(partial, config)).toThrow(expect.objectContaining({ code: 'checkpoint-format' }))
    for (const [name, ids] of [
      ['not-json', '[5, 17'],
      ['empty', '[]'],
      ['out-of-vocab', '[5, 512]'],
      ['fraction', '[5.5]'],
    ]) {
      const dir = checkpointWithReference(name)
      writeFileSync(join(dir, 'reference', 'ids.json'), ids)
      expect(() => readStoredReference(dir, config), name).toThrow(expect.objectContaining({ code: 'checkpoint-format' }))
    }
  })

  it('refuses tensors whose shapes do not fit the ids (checkpoint-shape)', () => {
    const dir = checkpointWithReference('fewer-ids')
    writeFileSync(join(dir, 'reference', 'ids.json'), '[5, 17, 300]')
    expect(() => readStoredReference(dir, config)).toThrow(expect.objectContaining({ code: 'checkpoint-shape' }))
  })
})
