import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync, cpSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { WorkbenchError } from '../../../../src/shared/errors'
import { ensureOnnxExport, findCachedExport, onnxCacheRoot } from '../../../../src/main/checkpoint/onnx/onnx-cache'
import { CONVERTER_VERSION, readManifest } from '../../../../src/main/checkpoint/onnx/onnx-manifest'
import { checkpointFingerprint } from '../../../../src/main/checkpoint/read-checkpoint'
import { GRAPH_IO_VERSION, GRAPHS } from '../../../../src/shared/model/graph-io'
import { checkpointPath, useTempCache } from '../../runtime/core-fixture'

/** The conversion cache: keyed by content hash, found by fingerprint, written atomically. */
describe('ensureOnnxExport', () => {
  let cache: ReturnType<typeof useTempCache>
  let work: string
  beforeEach(() => {
    cache = useTempCache()
    work = mkdtempSync(join(tmpdir(), 'backpack-ckpt-'))
    cpSync(checkpointPath('micro-legacy'), work, { recursive: true })
  })
  afterEach(() => {
    cache.cleanup()
    rmSync(work, { recursive: true, force: true })
  })

  it('converts once, then a second load is a fingerprint hit that reads nothing', async () => {
    const first = await ensureOnnxExport(work)
    expect(first.work).toBe('converted')
    expect(first.dir).toBe(join(onnxCacheRoot(), first.manifest.contentHash))
    const m = readManifest(first.dir)
    expect(m.graphIoVersion).toBe(GRAPH_IO_VERSION)
    expect(m.config.nLayer).toBe(1)
    for (const g of Object.values(GRAPHS)) expect(existsSync(join(first.dir, g.file))).toBe(true)
    const mtime = statSync(join(first.dir, 'manifest.json')).mtimeMs

    // a fingerprint hit neither reads the weights nor rewrites the entry
    const second = await ensureOnnxExport(work)
    expect(second.work).toBe('none')
    expect(second.dir).toBe(first.dir)
    expect(second.timingsMs.read).toBeUndefined()
    expect(statSync(join(first.dir, 'manifest.json')).mtimeMs).toBe(mtime)
  })

  it('a touched but identical checkpoint is re-hashed, not re-converted', async () => {
    const first = await ensureOnnxExport(work)
    const later = new Date(Date.now() + 5000)
    utimesSync(join(work, 'pytorch_model.bin'), later, later)
    const mtime = statSync(join(first.dir, 'manifest.json')).mtimeMs
    const second = await ensureOnnxExport(work)
    expect(second.work).toBe('hashed')
    expect(second.dir).toBe(first.dir)
    expect(statSync(join(first.dir, 'manifest.json')).mtimeMs).toBe(mtime)
    // and the index now knows the new fingerprint
    expect(findCachedExport(await checkpointFingerprint(work))?.dir).toBe(first.dir)
  })

  it('a broken cache entry is rebuilt; a cancelled conversion leaves no entry or temp dir', async () => {
    const first = await ensureOnnxExport(work)
    rmSync(join(first.dir, 'context.onnx'))
    const rebuilt = await ensureOnnxExport(work)
    expect(rebuilt.work).toBe('converted')
    expect(existsSync(join(first.dir, 'context.onnx'))).toBe(true)

    for (const phase of ['read', 'convert']) {
      rmSync(onnxCacheRoot(), { recursive: true, force: true })
      const controller = new AbortController()
      const run = ensureOnnxExport(work, { signal: controller.signal, onProgress: (p) => p.phase === phase && controller.abort() })
      await expect(run, `cancelled at ${phase}`).rejects.toMatchObject({ code: 'cancelled' })
      const left = existsSync(onnxCacheRoot()) ? readdirSync(onnxCacheRoot()).filter((n) => n !== 'fingerprints') : []
      expect(left, `cache entries after cancelling at ${phase}`).toEqual([])
    }
  })

  it('errors on a missing checkpoint with a typed error', async () => {
    await expect(ensureOnnxExport(join(work, 'nope'))).rejects.toBeInstanceOf(WorkbenchError)
  })
})

describe('readManifest', () => {
  let cache: ReturnType<typeof useTempCache>
  beforeEach(() => {
    cache = useTempCache()
  })
  afterEach(() => cache.cleanup())

  it('refuses export directories that do not match the catalog', async () => {
    const { dir } = await ensureOnnxExport(checkpointPath('micro-legacy'))
    const manifest = JSON.parse(JSON.stringify(readManifest(dir)))
    const code = (m: unknown) => {
      writeFileSync(join(dir, 'manifest.json'), typeof m === 'string' ? m : JSON.stringify(m))
      try {
        readManifest(dir)
        return 'ok'
      } catch (e) {
        return (e as WorkbenchError).code
      }
    }
    expect(code(manifest)).toBe('ok')
    expect(code('{not json')).toBe('onnx-model')
    expect(code({ ...manifest, graphIoVersion: 999 })).toBe('onnx-model')
    expect(code({ ...manifest, format: 'x' })).toBe('onnx-model')
    expect(code({ ...manifest, config: { ...manifest.config, nEmbd: 'big' } })).toBe('onnx-model')
    expect(code({ ...manifest, graphs: { ...manifest.graphs, context: 'other.onnx' } })).toBe('onnx-model')
    expect(code({ ...manifest, dataFile: '../etc/passwd' })).toBe('onnx-model')
    expect(code({ ...manifest, embeddingOffset: -1 })).toBe('onnx-model')
    rmSync(join(dir, 'manifest.json'))
    expect(() => readManifest(dir)).toThrow(/manifest\.json/)
  })
})

describe('converter version', () => {
  it('an export written by another converter version is rebuilt', async () => {
    const cache = useTempCache()
    try {
      const first = await ensureOnnxExport(checkpointPath('micro-legacy'))
      const path = join(first.dir, 'manifest.json')
      writeFileSync(path, JSON.stringify({ ...readManifest(first.dir), converterVersion: 1 }))
      const again = await ensureOnnxExport(checkpointPath('micro-legacy'))
      expect(again.work).toBe('converted')
      expect(readManifest(again.dir).converterVersion).toBe(CONVERTER_VERSION)
    } finally {
      cache.cleanup()
    }
  })
})

describe('concurrent conversions', () => {
  it('two conversions of the same checkpoint at once both succeed with one valid entry', async () => {
    const cache = useTempCache()
    try {
      const [a, b] = await Promise.all([ensureOnnxExport(checkpointPath('micro-legacy')), ensureOnnxExport(checkpointPath('micro-legacy'))])
      expect(a.dir).toBe(b.dir)
      expect(readManifest(a.dir).contentHash).toBe(a.manifest.contentHash)
      expect(readdirSync(onnxCacheRoot()).filter((n) => n.startsWith('.tmp-'))).toEqual([])
    } finally {
      cache.cleanup()
    }
  })
})
