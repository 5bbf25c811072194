import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cli } from '../cli-harness'
import { checkpointPath, useTempCache } from '../../main/runtime/core-fixture'

describe('cli info / convert', () => {
  let cache: ReturnType<typeof useTempCache>
  let out: string
  beforeAll(() => {
    cache = useTempCache()
    out = mkdtempSync(join(tmpdir(), 'backpack-info-'))
  })
  afterAll(() => {
    cache.cleanup()
    rmSync(out, { recursive: true, force: true })
  })

  it('info and convert print JSON; convert is cached the second time', async () => {
    const ck = checkpointPath('small-safetensors')
    const info1 = JSON.parse((await cli(['info', '--checkpoint', ck])).stdout)
    expect(info1).toMatchObject({ format: 'safetensors', parameterCount: 458560, cache: { converted: false } })
    expect(info1.config.numSenses).toBe(16)
    expect(info1.contentHash).toMatch(/^[0-9a-f]{64}$/)
    expect(info1.providers.available).toContain('cpu')
    const c1 = JSON.parse((await cli(['convert', '--checkpoint', ck])).stdout)
    expect(c1).toMatchObject({ work: 'converted', contentHash: info1.contentHash, exportDir: info1.cache.exportDir })
    const c2 = JSON.parse((await cli(['convert', '--checkpoint', ck])).stdout)
    expect(c2.work).toBe('none')
    const info2 = JSON.parse((await cli(['info', '--checkpoint', ck])).stdout)
    expect(info2).toMatchObject({ contentHash: info1.contentHash, cache: { converted: true }, parameterCount: 458560 })
    // the export directory itself is a model source
    const viaOnnx = await cli(['forward', '--onnx', c1.exportDir, '--ids', '1,2,3', '--out', join(out, 'onnx')])
    expect(viaOnnx.code).toBe(0)
    expect(JSON.parse(viaOnnx.stdout).conversion).toBe('export')
  })

  it('convert refuses an ONNX export and reports usage errors as bad-request', async () => {
    const r = await cli(['convert', '--checkpoint', checkpointPath('micro-legacy'), '--bogus'])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/^error\[bad-request\]/)
  })
})
