import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { readRecentCheckpoints, rememberCheckpoint } from '../../../src/main/workbench/recent-checkpoints'

const env = { ...process.env }
let root: string
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'bw-recent-'))
})
afterEach(() => {
  process.env = env
  rmSync(root, { recursive: true, force: true })
})

describe('recent checkpoints', () => {
  it('creates the missing data folder, keeps newest first without duplicates, at most 10', async () => {
    process.env.BACKPACK_DATA_DIR = join(root, 'a', 'b', 'data')
    expect(await readRecentCheckpoints()).toEqual([])
    await rememberCheckpoint('/one')
    await rememberCheckpoint('/two')
    await rememberCheckpoint('/one')
    expect(await readRecentCheckpoints()).toEqual(['/one', '/two'])
    expect(JSON.parse(readFileSync(join(root, 'a', 'b', 'data', 'recent-checkpoints.json'), 'utf8'))).toEqual(['/one', '/two'])
    for (let i = 0; i < 12; i++) await rememberCheckpoint(`/c${i}`)
    const list = await readRecentCheckpoints()
    expect(list).toHaveLength(10)
    expect(list[0]).toBe('/c11')
  })

  it('fails at once with ENOENT for a data folder the kernel refuses (/proc), instead of spinning in recursive mkdir', async () => {
    if (!existsSync('/proc/self')) return // not Linux
    process.env.BACKPACK_DATA_DIR = '/proc/backpack-nope/data'
    await expect(rememberCheckpoint('/one')).rejects.toMatchObject({ code: 'ENOENT' })
  })
})
