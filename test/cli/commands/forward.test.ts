import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cli } from '../cli-harness'
import { readNpy } from '../../../src/main/npy/npy'
import { expectAllClose } from '../../helpers/all-close'
import { checkpointPath, golden, useTempCache } from '../../main/runtime/core-fixture'

const ROOT = resolve(import.meta.dirname, '../../..')

describe('cli forward', () => {
  let cache: ReturnType<typeof useTempCache>
  let out: string
  beforeAll(() => {
    cache = useTempCache()
    out = mkdtempSync(join(tmpdir(), 'backpack-forward-'))
  })
  afterAll(() => {
    cache.cleanup()
    rmSync(out, { recursive: true, force: true })
  })

  it('forward --ids writes .npy files that parse back with the right shapes and values', async () => {
    const g = golden('odd-safetensors')
    const r = await cli(['forward', '--checkpoint', checkpointPath('odd-safetensors'), '--ids', g.ids.join(','), '--out', out])
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    const summary = JSON.parse(r.stdout)
    const T = g.ids.length
    expect(summary.shapes).toEqual({ logits: [T, 1000], senses: [8, T, 96], contextualization: [8, T, T] })
    expect(summary.provider.name).toBe('cpu')
    expect(summary.timingsMs.forward).toBeGreaterThan(0)
    for (const name of ['logits', 'senses', 'contextualization'] as const) {
      const a = readNpy(join(out, `${name}.npy`))
      expect(a.shape).toEqual(summary.shapes[name])
      expectAllClose(a.data, g[name].data, { rtolToScale: 1e-4, shape: a.shape, label: name })
    }
  })

  it('forward --text tokenizes with GPT-2 BPE', async () => {
    const dir = join(out, 'text')
    const r = await cli([
      'forward',
      '--checkpoint',
      checkpointPath('tiny-fullvocab'),
      '--text',
      'Hello world, the MacBook is made by Apple',
      '--out',
      dir,
    ])
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout).shapes.logits).toEqual([9, 50264])
    expect(readNpy(join(dir, 'senses.npy')).shape).toEqual([4, 9, 16])
  })

  it('too many tokens is a one-line too-long error unless --truncate', async () => {
    const ids = Array.from({ length: 49 }, (_, i) => i).join(',') // odd fixture: 48 positions
    const r = await cli(['forward', '--checkpoint', checkpointPath('odd-safetensors'), '--ids', ids, '--out', join(out, 'long')])
    expect(r.code).not.toBe(0)
    expect(r.stdout).toBe('')
    expect(r.stderr).toMatch(/^error\[too-long\]: .*48.*\n$/)
    expect(r.stderr.split('\n').length).toBe(2)
    const t = await cli([
      'forward',
      '--checkpoint',
      checkpointPath('odd-safetensors'),
      '--ids',
      ids,
      '--out',
      join(out, 'long'),
      '--truncate',
    ])
    expect(t.code).toBe(0)
    expect(JSON.parse(t.stdout)).toMatchObject({ tokens: 48, truncatedFrom: 49 })
  })

  it('bad ids, missing flags and a missing checkpoint are one-line typed errors', async () => {
    const bad = await cli(['forward', '--checkpoint', checkpointPath('odd-safetensors'), '--ids', '1,1000', '--out', out])
    expect(bad.stderr).toMatch(/^error\[bad-request\]: .*1000.*\n$/)
    expect((await cli(['forward', '--checkpoint', checkpointPath('odd-safetensors'), '--ids', '1'])).stderr).toMatch(
      /^error\[bad-request\]: --out/,
    )
    expect((await cli(['forward', '--checkpoint', join(out, 'nope'), '--ids', '1', '--out', out])).stderr).toMatch(/^error\[not-found\]/)
    const noDemo = process.env.BACKPACK_RESOURCES_DIR
    process.env.BACKPACK_RESOURCES_DIR = join(out, 'no-resources')
    try {
      expect((await cli(['info'])).stderr).toMatch(/^error\[checkpoint-missing\]/)
    } finally {
      if (noDemo === undefined) delete process.env.BACKPACK_RESOURCES_DIR
      else process.env.BACKPACK_RESOURCES_DIR = noDemo
    }
  })

  it('works as `npm run -s cli` (the built CLI, rebuilt when stale; worker from the bundle), writes the files', async () => {
    const env = { ...process.env, BACKPACK_CACHE_DIR: cache.dir }
    const run = promisify(execFile)
    const ok = await run(
      'npm',
      ['run', '-s', 'cli', '--', 'forward', '--checkpoint', checkpointPath('micro-legacy'), '--ids', '1,2,3', '--out', join(out, 'npm')],
      { cwd: ROOT, env },
    )
    expect(JSON.parse(ok.stdout).shapes.contextualization).toEqual([4, 3, 3])
    expect(readNpy(join(out, 'npm', 'logits.npy')).shape).toEqual([3, 300])
    expect(readFileSync(join(out, 'npm', 'senses.npy')).length).toBeGreaterThan(0)
  })
})

describe('cli forward --edits', () => {
  let cache: ReturnType<typeof useTempCache>
  let out: string
  beforeAll(() => {
    cache = useTempCache()
    out = mkdtempSync(join(tmpdir(), 'backpack-forward-edits-'))
  })
  afterAll(() => {
    cache.cleanup()
    rmSync(out, { recursive: true, force: true })
  })

  it('writes the edited senses and logits of the reference (scale-sense + knowledge-edit golden)', async () => {
    const g = golden('small-bin-edits')
    const edits = join(import.meta.dirname, '../../fixtures/golden/small-bin-edits/edits.json')
    const r = await cli(['forward', '--checkpoint', checkpointPath('small-bin'), '--ids', g.ids.join(','), '--edits', edits, '--out', out])
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout).edits).toBe(2)
    for (const name of ['logits', 'senses', 'contextualization'] as const) {
      expectAllClose(readNpy(join(out, `${name}.npy`)).data, g[name].data, { rtolToScale: 1e-4, label: `edited ${name}` })
    }
  })
})
