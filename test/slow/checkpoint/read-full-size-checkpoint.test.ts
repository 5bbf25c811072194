import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { expectedTensorShapes, parseBackpackConfig } from '../../../src/main/checkpoint/backpack-config'
import { readCheckpoint } from '../../../src/main/checkpoint/read-checkpoint'
import { randomTensors, tinyConfigJson, writeSafetensorsFile, writeTorchZipFile } from '../../main/checkpoint/helpers/checkpoint-writer'

// Full-size checkpoint reading (d=768, 12 layers, 16 senses, vocab 50264): a 684 MB torch zip
// (tied storages, 24 mask buffers) and the same weights as safetensors, written by the test
// helper into the temp dir. Checks exact values and equal content hashes; prints the read time
// and memory (no timing assertions).
const FULL = tinyConfigJson({
  n_embd: 768,
  n_head: 12,
  n_layer: 12,
  n_positions: 512,
  num_senses: 16,
  sense_intermediate_scale: 4,
  vocab_size: 50264,
})
const work = mkdtempSync(join(tmpdir(), 'backpack-read-full-'))
afterAll(() => rmSync(work, { recursive: true, force: true }))

describe('readCheckpoint at full size', () => {
  it('reads the same 170M weights from a torch zip and a safetensors file, exactly, with one hash', async () => {
    const source = randomTensors(expectedTensorShapes(parseBackpackConfig(FULL)), 5)
    const dirs = { zip: join(work, 'bin'), st: join(work, 'st') }
    for (const d of Object.values(dirs)) {
      mkdirSync(d)
      writeFileSync(join(d, 'config.json'), JSON.stringify(FULL))
    }
    writeTorchZipFile(join(dirs.zip, 'pytorch_model.bin'), source, { tiedAliases: true, maskBuffers: 12 })
    writeSafetensorsFile(join(dirs.st, 'model.safetensors'), source)
    const hashes: string[] = []
    for (const [kind, dir] of Object.entries(dirs)) {
      const file = join(dir, kind === 'zip' ? 'pytorch_model.bin' : 'model.safetensors')
      const before = process.memoryUsage()
      const t0 = performance.now()
      const c = await readCheckpoint(dir)
      const ms = performance.now() - t0
      const after = process.memoryUsage()
      const mib = (n: number): string => `${(n / 2 ** 20).toFixed(0)} MiB`
      console.log(
        `${kind}: ${mib(statSync(file).size)} read+checked+hashed in ${ms.toFixed(0)} ms; array buffers +${mib(after.arrayBuffers - before.arrayBuffers)}, rss ${mib(after.rss)}`,
      )
      for (const [name, t] of source) {
        const got = c.tensors.get(name)!.data
        let bad = -1
        for (let i = 0; i < t.data.length && bad < 0; i++) if (got[i] !== t.data[i]) bad = i
        expect(bad, `${kind} ${name} first differing index`).toBe(-1)
      }
      hashes.push(c.contentHash)
    }
    expect(hashes[0]).toBe(hashes[1])
  })
})
