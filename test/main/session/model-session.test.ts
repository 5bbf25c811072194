import { cpSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readRecentCheckpoints } from '../../../src/main/workbench/recent-checkpoints'
import { Workbench } from '../../../src/main/workbench/workbench'

// bundledDemo: the Model view offers the full model only while the bundled demo is loaded. The
// "bundled demo" here is a copy of the tiny fixture in a temp resources folder.
const env = { ...process.env }
const fixture = resolve('test/fixtures/checkpoints/tiny-fullvocab')
let root: string
let workbench: Workbench

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'bw-session-'))
  cpSync(fixture, join(root, 'resources', 'demo-backpack'), { recursive: true })
  Object.assign(process.env, {
    BACKPACK_RESOURCES_DIR: join(root, 'resources'),
    BACKPACK_CACHE_DIR: join(root, 'cache'),
    BACKPACK_DATA_DIR: join(root, 'data'),
  })
  workbench = new Workbench({ transport: 'http', version: 'test' })
})
afterAll(async () => {
  await workbench?.dispose()
  process.env = env
  rmSync(root, { recursive: true, force: true })
})

describe('ModelSession info', () => {
  it('marks the bundled demo (the default load) and nothing else, and remembers both loads newest first', async () => {
    const demo = await workbench.load()
    expect(demo.checkpointDir).toBe(join(root, 'resources', 'demo-backpack'))
    expect(demo.bundledDemo).toBe(true)
    const other = await workbench.load(fixture)
    expect(other.bundledDemo).toBe(false)
    expect(other.contentHash).toBe(demo.contentHash) // same tensors, different folder
    expect(await readRecentCheckpoints()).toEqual([fixture, join(root, 'resources', 'demo-backpack')])
  })
})
