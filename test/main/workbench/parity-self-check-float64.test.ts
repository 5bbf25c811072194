import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runReference } from '../../../src/main/parity/run-reference'
import type { BackpackEngine } from '../../../src/main/runtime/backpack-engine'
import { openEngine } from '../../../src/main/runtime/open-engine'
import { paritySelfCheck, type ParityProgress } from '../../../src/main/workbench/parity-self-check'

// The self-check of a checkpoint that ships no reference/ folder: the real engine against the
// float64 TypeScript reference (run in its own worker). A fake engine that returns slightly wrong
// logits or α must fail at the perturbed index; cancellation and the worker's typed errors hold.
const CKPT = resolve('test/fixtures/checkpoints/odd-safetensors') // d=96, 4 heads, 8 senses, 3 layers, vocab 1000
const env = { ...process.env }
let root: string
let engine: BackpackEngine

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'bw-parity64-'))
  process.env.BACKPACK_CACHE_DIR = join(root, 'cache')
  engine = await openEngine({ checkpointDir: CKPT, provider: 'cpu' })
})
afterAll(async () => {
  await engine?.dispose()
  process.env = env
  rmSync(root, { recursive: true, force: true })
})

/** The real engine with one value of one output moved by `fraction` of that tensor's scale. */
function perturbed(
  tensor: 'logits' | 'contextualization',
  flat: (T: number) => number,
  fraction: number,
): Pick<BackpackEngine, 'config' | 'contentHash' | 'forward'> {
  return {
    config: engine.config,
    contentHash: engine.contentHash,
    forward: async (ids, options) => {
      const out = await engine.forward(ids, options)
      const data = out[tensor]
      let scale = 0
      for (const x of data) scale = Math.max(scale, Math.abs(x))
      data[flat(ids.length)] += fraction * scale
      return out
    },
  }
}

describe('paritySelfCheck against the float64 reference', () => {
  it('passes for the real engine on a checkpoint without reference outputs, reporting progress to the end', async () => {
    const seen: ParityProgress[] = []
    const report = await paritySelfCheck(engine, CKPT, { onProgress: (p) => seen.push(p) })
    expect(report.referenceDir).toBeNull()
    expect(report.references.map((r) => [r.reference, r.source])).toEqual([['float64', CKPT]])
    const T = report.tokens
    expect(report.ids).toHaveLength(T)
    expect(report.ids.every((id) => id >= 0 && id < 1000)).toBe(true)
    expect(report.tensors.map((t) => t.shape)).toEqual([
      [T, 1000],
      [8, T, 96],
      [8, T, T],
    ])
    for (const t of report.tensors) {
      expect(t.scale).toBeGreaterThan(0)
      expect(t.relativeError, t.tensor).toBeLessThanOrEqual(report.tolerance)
    }
    expect(report.passed).toBe(true)
    // progress: never backwards, every layer named, ends at the total
    const total = seen[0].total
    expect(seen.every((p, i) => p.total === total && (i === 0 || p.done >= seen[i - 1].done))).toBe(true)
    expect(seen.at(-1)?.done).toBe(total)
    expect(seen.filter((p) => /layer \d+\/3/.test(p.message))).toHaveLength(3)
  })

  it('fails when the engine returns slightly wrong logits, naming the worst index', async () => {
    const [pos, tok] = [2, 123]
    const report = await paritySelfCheck(
      perturbed('logits', () => pos * 1000 + tok, 1e-3),
      CKPT,
    ) // 10× the tolerance
    expect(report.passed).toBe(false)
    const [logits, senses, alpha] = report.references[0].tensors
    expect(logits).toMatchObject({ tensor: 'logits', passed: false, worstIndex: [pos, tok], reference: 'float64' })
    expect(logits.relativeError).toBeGreaterThan(5e-4)
    expect(senses.passed && alpha.passed).toBe(true)
    expect(report.tensors[0]).toEqual(logits)
  })

  it('fails when α is off at one entry, naming (sense, query, key)', async () => {
    const [sense, query, key] = [5, 3, 1]
    const report = await paritySelfCheck(
      perturbed('contextualization', (T) => (sense * T + query) * T + key, 1e-3),
      CKPT,
    )
    expect(report.passed).toBe(false)
    expect(report.tensors[2]).toMatchObject({ tensor: 'contextualization', passed: false, worstIndex: [sense, query, key] })
    expect(report.tensors[0].passed).toBe(true)
  })

  it('refuses to compare when the weights on disk are not those the engine loaded', async () => {
    const other = { config: engine.config, contentHash: '0'.repeat(64), forward: engine.forward.bind(engine) }
    await expect(paritySelfCheck(other, CKPT)).rejects.toMatchObject({ code: 'checkpoint-format' })
  })

  it('is cancelled by its signal while the reference runs, and a later check still passes', async () => {
    const ctrl = new AbortController()
    const run = paritySelfCheck(engine, CKPT, { signal: ctrl.signal, onProgress: (p) => p.done >= 2 && ctrl.abort() })
    await expect(run).rejects.toMatchObject({ code: 'cancelled' })
    expect((await paritySelfCheck(engine, CKPT)).passed).toBe(true)
  })
})

describe('runReference (the reference worker)', () => {
  it('answers cancelled at once for an aborted signal', async () => {
    await expect(runReference(CKPT, [1, 2], { signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'cancelled' })
  })

  it('passes the worker’s typed errors through: a missing folder, a forbidden pickle, ids out of range', async () => {
    await expect(runReference(join(root, 'nowhere'), [1])).rejects.toMatchObject({ code: 'not-found' })
    await expect(runReference(resolve('test/fixtures/hostile/os-system'), [1])).rejects.toMatchObject({ code: 'checkpoint-forbidden' })
    await expect(runReference(CKPT, [1000])).rejects.toMatchObject({ code: 'bad-request' })
  })
})
