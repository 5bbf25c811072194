import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'

/**
 * Fine-tuning runs in the engine worker: a whole `finetune` request from a fresh process leaves
 * onnxruntime-node unloaded on the calling thread, and every epoch's figures arrive as progress.
 */
describe('fine-tuning off the calling thread', () => {
  it('trains in the engine worker and streams each epoch', () => {
    const cache = mkdtempSync(join(tmpdir(), 'finetune-thread-'))
    try {
      const helper = resolve(import.meta.dirname, 'helpers/finetune-thread.ts')
      const r = spawnSync(process.execPath, ['--import', 'tsx', helper, resolve('test/fixtures/checkpoints/tiny-fullvocab'), cache], {
        encoding: 'utf8',
        timeout: 300_000,
      })
      expect(r.status, r.stderr).toBe(0)
      const out = JSON.parse(r.stdout.trim().split('\n').at(-1) as string) as {
        ortOnThisThread: string[]
        epochs: number[]
        epochKept: number
        edits: number
        fell: boolean
      }
      expect(out.ortOnThisThread).toEqual([])
      expect(out.epochs).toEqual([1, 2, 3, 4])
      expect(out.epochKept).toBe(4)
      expect(out.edits).toBeGreaterThan(0)
      expect(out.fell).toBe(true)
    } finally {
      rmSync(cache, { recursive: true, force: true })
    }
  }, 300_000)
})
