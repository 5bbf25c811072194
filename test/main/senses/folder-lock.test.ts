import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { hostname, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { acquireFolderLock, tryFolderLock } from '../../../src/main/fs/file-lock'
import { int8Index } from '../../../src/main/senses/int8-index'
import { openSenseTable, type SenseTableProgress } from '../../../src/main/senses/sense-table'
import { ArrayEngine } from '../interventions/array-engine'
import { tableProgress } from '../../../src/cli/commands/analysis-engine'
import { useEngine } from '../generation/engine-fixture'

// the int8 index scores in an engine worker (its MatMulInteger session lives there): a real one
const runtime = useEngine('small-bin')
const scorer = () => runtime.engine()

const dirs: string[] = []
const children: ChildProcessWithoutNullStreams[] = []
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'folder-lock-'))
  dirs.push(d)
  return d
}
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill()
  dirs.forEach((d) => rmSync(d, { recursive: true, force: true }))
})

/** A pid that is certainly not running: a child that has exited. */
const deadPid = () => spawnSync(process.execPath, ['-e', '']).pid
const lockFile = (dir: string) => join(dir, 'build.lock')
const writeLock = (dir: string, holder: object | string, ageMs = 0) => {
  writeFileSync(lockFile(dir), typeof holder === 'string' ? holder : JSON.stringify(holder))
  const t = new Date(Date.now() - ageMs)
  utimesSync(lockFile(dir), t, t)
}

/** The helper process building ArrayEngine(3000, 2, 4, 5)'s table in dir, paused with the lock held. */
async function holder(dir: string): Promise<{ child: ChildProcessWithoutNullStreams; go: () => void; done: Promise<number | null> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', resolve(import.meta.dirname, 'helpers/hold-sense-table.ts'), dir], {
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  children.push(child)
  let out = ''
  let err = ''
  child.stderr.on('data', (d: Buffer) => (err += d.toString()))
  const done = new Promise<number | null>((res) => child.on('close', (code) => res(code)))
  await new Promise<void>((res, rej) => {
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString()
      if (out.includes('building\n')) res()
    })
    void done.then((code) => rej(new Error(`helper exited (${code}) before building: ${err}`)))
  })
  return { child, go: () => child.stdin.write('go\n'), done }
}

describe('folder lock', () => {
  it('one holder at a time; released locks can be taken again', async () => {
    const dir = tmp()
    const a = await acquireFolderLock(dir)
    expect(JSON.parse(readFileSync(lockFile(dir), 'utf8'))).toMatchObject({ pid: process.pid, hostname: hostname() })
    expect(await tryFolderLock(dir)).toBeUndefined() // held by this process: not stale
    await a.release()
    expect(existsSync(lockFile(dir))).toBe(false)
    const b = await tryFolderLock(dir)
    expect(b).toBeDefined()
    await b!.release()
  })

  it('takes over stale locks: a dead pid, an unreadable file, one untouched for minutes, one left by an earlier process with our pid', async () => {
    const dir = tmp()
    const now = new Date().toISOString()
    for (const [stale, age] of [
      [{ pid: deadPid(), hostname: hostname(), startedAt: now }, 0],
      ['{"pid":', 60_000],
      [{ pid: process.ppid, hostname: 'elsewhere', startedAt: now }, 600_000],
      [{ pid: process.pid, hostname: hostname(), startedAt: now, token: 'old' }, 0],
    ] as const) {
      writeLock(dir, stale, age)
      const lock = await tryFolderLock(dir)
      expect(lock).toBeDefined()
      expect(JSON.parse(readFileSync(lockFile(dir), 'utf8')).pid).toBe(process.pid)
      await lock!.release()
    }
  })

  it('waits for live holders: a live pid here, a recently touched lock of another host, a file being written', async () => {
    const dir = tmp()
    const now = new Date().toISOString()
    for (const live of [
      { pid: process.ppid, hostname: hostname(), startedAt: now },
      { pid: 1, hostname: 'elsewhere', startedAt: now },
      '',
    ]) {
      writeLock(dir, live)
      expect(await tryFolderLock(dir)).toBeUndefined()
      const controller = new AbortController()
      const waits: unknown[] = []
      await expect(
        acquireFolderLock(dir, { signal: controller.signal, onWait: (h) => void (waits.push(h), controller.abort()) }),
      ).rejects.toMatchObject({ code: 'cancelled' })
      expect(waits).toEqual([typeof live === 'string' ? undefined : { pid: live.pid, hostname: live.hostname, startedAt: now }])
      expect(readFileSync(lockFile(dir), 'utf8')).toBe(typeof live === 'string' ? live : JSON.stringify(live)) // untouched
      rmSync(lockFile(dir))
    }
  })
})

describe('openSenseTable across processes', () => {
  it('waits for another process building the folder (reporting its progress), then reads what it built', async () => {
    const dir = tmp()
    const other = await holder(dir)
    const engine = new ArrayEngine(3000, 2, 4, 5) // same weights and hash as the helper's
    const seen: SenseTableProgress[] = []
    let stderr = ''
    const cli = tableProgress({ stdout: { write: () => true }, stderr: { write: (s: string) => (stderr += s) } })
    const table = await openSenseTable(engine, {
      dir,
      precision: 'f32',
      chunkTokens: 500,
      onProgress: (p) => {
        seen.push(p)
        cli(p)
        if (p.heldBy && seen.length === 1) other.go()
      },
    })
    expect(stderr.split('\n')[0]).toBe(
      `sense table (senses): 0/3000 tokens (built by process ${other.child.pid} on ${hostname()}: waiting)`,
    )
    expect(await other.done).toBe(0)
    expect(seen[0]).toEqual({
      phase: 'senses',
      done: 0,
      total: 3000,
      heldBy: expect.objectContaining({ pid: other.child.pid, hostname: hostname() }),
    })
    expect(seen.at(-1)).toEqual({ phase: 'senses', done: 3000, total: 3000 }) // after the wait: nothing left to build
    expect(engine.calls.senseVectors).toBe(0)
    for (const x of [0, 1499, 2999])
      for (let l = 0; l < 2; l++)
        expect(Array.from(table.sense(x, l))).toEqual(Array.from(engine.C.subarray((x * 2 + l) * 4, (x * 2 + l + 1) * 4)))
    expect(existsSync(lockFile(dir))).toBe(false)
  })

  it('takes over the lock of a process that died, and resumes what is on disk', async () => {
    const dir = tmp()
    const engine = new ArrayEngine(3000, 2, 4, 5)
    const controller = new AbortController()
    await expect(
      openSenseTable(engine, {
        dir,
        precision: 'f32',
        chunkTokens: 500,
        signal: controller.signal,
        onProgress: (p) => p.done >= 1000 && controller.abort(),
      }),
    ).rejects.toMatchObject({ code: 'cancelled' })
    writeLock(dir, { pid: deadPid(), hostname: hostname(), startedAt: new Date().toISOString() })
    const twin = new ArrayEngine(3000, 2, 4, 5)
    const seen: SenseTableProgress[] = []
    const table = await openSenseTable(twin, { dir, precision: 'f32', chunkTokens: 500, onProgress: (p) => seen.push(p) })
    expect(seen.every((p) => !p.heldBy)).toBe(true)
    expect(twin.calls.senseVectors).toBe(4) // chunks 2–5
    expect(Array.from(table.sense(2999, 1))).toEqual(Array.from(engine.C.subarray((2999 * 2 + 1) * 4, (2999 * 2 + 2) * 4)))
    expect(existsSync(lockFile(dir))).toBe(false)
  })

  it('cancelling while waiting gives cancelled and leaves the folder to its holder', async () => {
    const dir = tmp()
    const other = await holder(dir)
    const lock = readFileSync(lockFile(dir), 'utf8')
    const engine = new ArrayEngine(3000, 2, 4, 5)
    const controller = new AbortController()
    await expect(
      openSenseTable(engine, {
        dir,
        precision: 'f32',
        chunkTokens: 500,
        signal: controller.signal,
        onProgress: (p) => p.heldBy && controller.abort(),
      }),
    ).rejects.toMatchObject({
      code: 'cancelled',
      message: expect.stringContaining(`held by process ${other.child.pid}`),
    })
    expect(readFileSync(lockFile(dir), 'utf8')).toBe(lock)
    other.go()
    expect(await other.done).toBe(0)
    const table = await openSenseTable(engine, { dir, precision: 'f32', chunkTokens: 500 })
    expect(engine.calls.senseVectors).toBe(0) // the holder's build is complete and intact
    expect(Array.from(table.sense(1234, 0))).toEqual(Array.from(engine.C.subarray(1234 * 2 * 4, (1234 * 2 + 1) * 4)))
  })

  it('saves the int8 index only under the folder lock and only for the table the folder holds', async () => {
    const dir = tmp()
    const e = new ArrayEngine(300, 2, 8, 3)
    const table = await openSenseTable(e, { dir, chunkTokens: 100, precision: 'f16' })
    writeLock(dir, { pid: process.ppid, hostname: hostname(), startedAt: new Date().toISOString() }) // another live process writes the folder
    const unsaved = await int8Index(table, scorer())
    expect(existsSync(join(dir, 'int8-index.json'))).toBe(false)
    rmSync(lockFile(dir))
    const again = await openSenseTable(new ArrayEngine(300, 2, 8, 3), { dir, chunkTokens: 100, precision: 'f16' })
    const saved = await int8Index(again, scorer())
    expect(existsSync(join(dir, 'int8-index.json'))).toBe(true)
    expect(Array.from(await saved.quantised())).toEqual(Array.from(await unsaved.quantised()))
    expect(existsSync(lockFile(dir))).toBe(false)
    // the folder rebuilt for other options: an f16 table read before is not stamped with the new manifest
    const before = await openSenseTable(new ArrayEngine(300, 2, 8, 3), { dir, chunkTokens: 100, precision: 'f16' })
    const other = await openSenseTable(new ArrayEngine(300, 2, 8, 3), { dir, chunkTokens: 100, precision: 'f32' })
    expect(other.stamp).not.toBe(before.stamp)
    const json = readFileSync(join(dir, 'int8-index.json'), 'utf8')
    const mine = await int8Index(before, scorer())
    expect(Array.from(await mine.quantised())).toEqual(Array.from(await saved.quantised())) // built from the table in memory
    expect(readFileSync(join(dir, 'int8-index.json'), 'utf8')).toBe(json) // and not saved over the folder's
  })
})
