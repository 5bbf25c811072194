import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WorkbenchError } from '../../../src/shared/errors'
import { readCheckpoint } from '../../../src/main/checkpoint/read-checkpoint'
import { allocationCounter } from './helpers/allocation-counter'
import { baseCases, hostileCases } from './helpers/hostile-cases'
import { scratchDir } from './helpers/tiny-checkpoint'

// ≥ 200 malformed checkpoints generated from a valid tiny one (helpers/hostile-cases.ts). Each
// must be refused with a WorkbenchError of the expected code, within a per-case time limit, and
// without allocating more than its files hold: typed-array allocations are counted, and a failing
// read may hold the file itself and widen the fp16/bf16 tensors in it, so the bound is
// 2 × the bytes on disk, plus the 256 KiB fp16 lookup table that is built once.
const CASE_TIMEOUT_MS = 10_000
const MARKER = '/tmp/backpack-pwned-marker'
const cases = hostileCases()
const scratch = scratchDir('hostile')
const HALF_TABLE_BYTES = 65536 * 4
const allocations = allocationCounter()
beforeAll(() => allocations.install())
afterAll(() => {
  allocations.restore()
  scratch.cleanup()
})

async function outcome(dir: string): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise((resolve) => {
    timer = setTimeout(() => resolve(new Error(`no answer within ${CASE_TIMEOUT_MS} ms`)), CASE_TIMEOUT_MS)
  })
  try {
    return await Promise.race([
      readCheckpoint(dir).then(
        () => 'accepted',
        (e: unknown) => e,
      ),
      timeout,
    ])
  } finally {
    clearTimeout(timer)
  }
}

describe('hostile checkpoint corpus', () => {
  it('has at least 200 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(200)
  })

  it.each(baseCases().map((b) => [b.label, b] as const))('reads the unmodified base: %s', async (_label, b) => {
    const dir = join(scratch.dir, `base-${_label.replace(/\W+/g, '-')}`)
    mkdirSync(dir)
    const { config, files } = b.make()
    writeFileSync(join(dir, 'config.json'), JSON.stringify(config))
    for (const [name, bytes] of Object.entries(files)) writeFileSync(join(dir, name), bytes)
    allocations.reset()
    const c = await readCheckpoint(dir)
    expect(c.tensors.size).toBe(44)
    expect(allocations.bytes).toBeGreaterThan(0) // the counter sees the reader's allocations
  })

  it.each(cases.map((c, i) => [i, c.label, c] as const))('#%i %s', async (i, _label, c) => {
    const dir = join(scratch.dir, String(i))
    mkdirSync(dir)
    const { config, files } = c.make()
    let onDisk = 0
    if (config !== undefined) {
      const text = typeof config === 'string' ? config : JSON.stringify(config)
      writeFileSync(join(dir, 'config.json'), text)
      onDisk += Buffer.byteLength(text)
    }
    for (const [name, bytes] of Object.entries(files)) {
      writeFileSync(join(dir, name), bytes)
      onDisk += typeof bytes === 'string' ? Buffer.byteLength(bytes) : bytes.length
    }
    rmSync(MARKER, { force: true })
    allocations.reset()
    const result = await outcome(dir)
    const counted = `${allocations.bytes} bytes allocated (largest ${allocations.largest}) for ${onDisk} bytes on disk`
    expect(allocations.bytes, counted).toBeLessThanOrEqual(2 * onDisk + HALF_TABLE_BYTES)
    expect(result, String(result)).toBeInstanceOf(WorkbenchError)
    const err = result as WorkbenchError
    expect(err.code, err.message).toBe(c.expect)
    if (c.mentions) expect(err.message).toContain(c.mentions)
    expect(existsSync(MARKER)).toBe(false)
    rmSync(dir, { recursive: true, force: true })
  })
})
