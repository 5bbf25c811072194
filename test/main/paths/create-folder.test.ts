import { existsSync, mkdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createFolder } from '../../../src/main/paths/create-folder'
import { tempDir } from '../store/helpers/temp-db'

let tmp: ReturnType<typeof tempDir>
beforeEach(() => {
  tmp = tempDir('folder-')
})
afterEach(() => tmp.cleanup())

describe('createFolder', () => {
  it('creates missing parents and accepts an existing folder', () => {
    const deep = join(tmp.dir, 'a', 'b', 'c')
    createFolder(deep)
    expect(statSync(deep).isDirectory()).toBe(true)
    createFolder(deep) // already there
    mkdirSync(join(tmp.dir, 'x'))
    createFolder(join(tmp.dir, 'x', 'y'))
    expect(existsSync(join(tmp.dir, 'x', 'y'))).toBe(true)
  })

  it('fails with the Node error code where a file or a dangling link stands in the way', () => {
    writeFileSync(join(tmp.dir, 'file'), 'x')
    expect(() => createFolder(join(tmp.dir, 'file', 'sub'))).toThrow(expect.objectContaining({ code: 'ENOTDIR' }))
    symlinkSync(join(tmp.dir, 'nowhere'), join(tmp.dir, 'dangling'))
    expect(() => createFolder(join(tmp.dir, 'dangling', 'sub'))).toThrow(expect.objectContaining({ code: 'ENOENT' }))
  })

  it('returns ENOENT at once where the kernel refuses the folder (/proc), unlike recursive mkdir', () => {
    if (!existsSync('/proc/self')) return // not Linux
    expect(() => createFolder('/proc/backpack-nope/x')).toThrow(expect.objectContaining({ code: 'ENOENT' }))
  })
})
