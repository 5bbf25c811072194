import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parseSenseEditsFor } from '../../../src/main/interventions/apply-sense-edits'
import type { SenseTableProgress } from '../../../src/main/senses/sense-table'
import { checkpoint, useEngine } from '../generation/engine-fixture'

describe("ModelSession: one object owns a model's state", () => {
  it('runs every onnxruntime path in the engine worker, never on the calling thread, and frees it all on dispose', () => {
    const cache = mkdtempSync(join(tmpdir(), 'session-ort-'))
    try {
      const helper = resolve(import.meta.dirname, 'helpers/main-thread-ort.ts')
      const r = spawnSync(process.execPath, ['--import', 'tsx', helper, checkpoint('small-bin'), cache], {
        encoding: 'utf8',
        timeout: 120_000,
      })
      expect(r.status, r.stderr).toBe(0)
      const out = JSON.parse(r.stdout.trim().split('\n').at(-1) as string) as {
        entries: number
        ortOnThisThread: string[]
        afterDispose: string
      }
      expect(out.entries).toBe(5) // the reverse lookup answered (int8 index scored in the worker)
      expect(out.ortOnThisThread).toEqual([]) // re-base Gemm, score extremes and int8 scoring ran in the worker
      expect(out.afterDispose).toBe('cancelled') // the engine and its worker are gone
    } finally {
      rmSync(cache, { recursive: true, force: true })
    }
  })

  describe('per-call options', () => {
    const fixture = useEngine('small-bin')
    it('a topic edit builds the sense table with the progress of the call that needs it, and the table stays with the session', async () => {
      const session = fixture.session()
      const ids = [5, 17, 9, 17, 3]
      const topic = parseSenseEditsFor(session.engine, {
        format: 'backpack-sense-edits',
        version: 1,
        edits: [{ kind: 'topic', words: ['the', 'and'], strength: 2 }],
      }).edits
      const seen: SenseTableProgress[] = []
      await session.runner.run(ids, topic, { onTableProgress: (p) => seen.push(p) })
      expect(seen.some((p) => p.phase === 'scores' && p.done === p.total)).toBe(true)
      const table = await session.senseTable({ need: 'scores', onProgress: () => expect.unreachable('a ready table reports nothing') })
      expect(await session.senseTable()).toBe(table) // kept in memory by the session
      const cancelled = new AbortController()
      cancelled.abort()
      // a call's own signal does not undo what is ready
      expect(await session.senseTable({ need: 'scores', signal: cancelled.signal })).toBe(table)
    })
  })
})
