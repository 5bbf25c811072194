import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WorkbenchError } from '../../../src/shared/errors'
import { openEngine } from '../../../src/main/runtime/open-engine'
import type { WorkerEngine } from '../../../src/main/runtime/worker-engine'
import type { ConversionProgress } from '../../../src/main/checkpoint/onnx/onnx-cache'
import { expectAllClose } from '../../helpers/all-close'
import { checkpointPath, FIXTURES, golden, useTempCache } from './core-fixture'

/** The engine as consumers get it: sessions in a worker thread behind a request queue. */
const FIXTURE = 'small-bin'
const g = golden(FIXTURE)

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p
  } catch (e) {
    return e instanceof WorkbenchError ? e.code : `not a WorkbenchError: ${String(e)}`
  }
  return undefined
}

describe('openEngine (worker)', () => {
  let cache: ReturnType<typeof useTempCache>
  let engine: WorkerEngine
  const progress: ConversionProgress[] = []
  beforeAll(async () => {
    cache = useTempCache()
    engine = await openEngine({ checkpointDir: checkpointPath(FIXTURE), provider: 'auto', onProgress: (p) => progress.push(p) })
  })
  afterAll(async () => {
    await engine?.dispose()
    cache.cleanup()
  })

  it('converts on first open, reports progress and the provider in use', () => {
    expect(engine.opened.work).toBe('converted')
    expect(progress.map((p) => p.phase)).toContain('convert')
    expect(progress.at(-1)).toMatchObject({ phase: 'done', fraction: 1 })
    const fractions = progress.map((p) => p.fraction)
    expect(fractions).toEqual([...fractions].sort((a, b) => a - b)) // monotone
    expect(engine.provider.name).toBe('cpu')
    expect(engine.provider.requested).toBe('auto')
    expect(engine.provider.available).toContain('cpu')
    expect(engine.provider.reason).toMatch(/CUDA|GPU/) // never a silent fallback
    expect(engine.contentHash).toMatch(/^[0-9a-f]{64}$/)
    expect(engine.config.numSenses).toBe(16)
  })

  it('runs forward in the worker with reference parity, reporting its stages', async () => {
    const stages: string[] = []
    const out = await engine.forward(g.ids, { onProgress: (p) => stages.push(p.phase) })
    expect(stages).toEqual(['senses', 'contextualize', 'combine'])
    expectAllClose(out.logits, g.logits.data, { rtolToScale: 1e-4, shape: g.logits.shape, label: 'logits' })
    expectAllClose(out.senses, g.senses.data, { rtolToScale: 1e-4, label: 'senses' })
    expectAllClose(out.contextualization, g.contextualization.data, { rtolToScale: 1e-4, label: 'α' })
    expect(Object.keys(out.timingsMs)).toEqual(expect.arrayContaining(['senses', 'contextualize', 'combine']))
  })

  it('decoder through the worker equals contextualize', async () => {
    const { numSenses: k } = engine.config
    const T = g.ids.length
    const full = await engine.contextualize(g.ids)
    const dec = await engine.createDecoder()
    await dec.append(g.ids.slice(0, T - 1))
    const last = await dec.append([g.ids[T - 1]]) // (sense, 1, T)
    expect(dec.length).toBe(T)
    for (let l = 0; l < k; l++)
      expectAllClose(last.subarray(l * T, (l + 1) * T), full.subarray((l * T + T - 1) * T, (l * T + T) * T), {
        atol: 1e-5,
        label: `α[${l}, last]`,
      })
    dec.dispose()
  })

  it('typed errors cross the worker boundary', async () => {
    const long = Array.from({ length: engine.config.nPositions + 1 }, () => 1)
    expect(await codeOf(engine.forward(long))).toBe('too-long')
    expect(await codeOf(engine.forward([engine.config.vocabSize]))).toBe('bad-request')
    // the queue keeps working after errors
    expect((await engine.senseVectors([1])).length).toBe(engine.config.numSenses * engine.config.nEmbd)
  })

  it('cancels queued and running requests with `cancelled`, and later requests still run', async () => {
    const running = new AbortController()
    const queued = new AbortController()
    const p1 = engine.forward(g.ids, { signal: running.signal })
    const p2 = engine.forward(g.ids, { signal: queued.signal })
    const p3 = engine.contextualize(g.ids)
    queued.abort()
    running.abort()
    expect(await codeOf(p1)).toBe('cancelled')
    expect(await codeOf(p2)).toBe('cancelled')
    expect((await p3).length).toBe(engine.config.numSenses * g.ids.length ** 2)
    const pre = new AbortController()
    pre.abort()
    expect(await codeOf(engine.contextualize(g.ids, { signal: pre.signal }))).toBe('cancelled')
  })

  it("leaves the caller's arrays intact (requests are copied, results transferred)", async () => {
    const { numSenses: k, nEmbd: d } = engine.config
    const T = 3
    const senses = new Float32Array(k * T * d).fill(0.5)
    const alpha = new Float32Array(k * T * T).fill(1 / T)
    const logits = await engine.combine({ senses, alphaRows: alpha, nQuery: T })
    expect(senses.length).toBe(k * T * d)
    expect(alpha[0]).toBeCloseTo(1 / T)
    expect(logits.length).toBe(T * engine.config.vocabSize)
  })

  it('a second open of the unchanged checkpoint skips conversion and hashing', async () => {
    const again = await openEngine({ checkpointDir: checkpointPath(FIXTURE) })
    try {
      expect(again.opened.work).toBe('none')
      expect(again.contentHash).toBe(engine.contentHash)
      expect(again.opened.exportDir).toBe(engine.opened.exportDir)
    } finally {
      await again.dispose()
    }
  })

  it('opens a ready ONNX export directory directly', async () => {
    const direct = await openEngine({ onnxDir: engine.opened.exportDir, provider: 'cpu' })
    try {
      expect(direct.opened.work).toBe('export')
      expect(direct.provider).toMatchObject({ name: 'cpu', requested: 'cpu' })
      expect(direct.provider.reason).toBe('cpu was requested')
      const out = await direct.forward(g.ids.slice(0, 4))
      expect(out.logits.length).toBe(4 * direct.config.vocabSize)
    } finally {
      await direct.dispose()
    }
  })

  it("a hostile checkpoint is refused with the reader's typed error through the worker", async () => {
    const hostile = join(FIXTURES, 'hostile', 'os-system')
    expect(await codeOf(openEngine({ checkpointDir: hostile }))).toBe('checkpoint-forbidden')
    expect(existsSync('/tmp/backpack-pwned-marker')).toBe(false)
  })

  it('refuses unavailable and unknown providers', async () => {
    expect(await codeOf(openEngine({ checkpointDir: checkpointPath(FIXTURE), provider: 'cuda' }))).toBe('provider-unavailable')
    expect(await codeOf(openEngine({ checkpointDir: checkpointPath(FIXTURE), provider: 'quantum' }))).toBe('bad-request')
    expect(await codeOf(openEngine({}))).toBe('bad-request')
  })
})
