import { chmodSync, copyFileSync, mkdirSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { runCli } from '../../../src/cli/run-cli'
import { compareExperiments } from '../../../src/main/store/compare-experiments'
import { exportBundle } from '../../../src/main/store/experiment-bundle'
import { ExperimentStore } from '../../../src/main/store/experiment-store'
import { bundleHelper, startChild } from './helpers/child-script'
import { changedFiles, folderSnapshot } from './helpers/files'
import { dbPath, sampleEdits, tempDir } from './helpers/temp-db'

/**
 * Reading a log in a read-only location (a file or folder without write permission) works and
 * creates no file beside it; writing gives `store-io`. These tests run as root, whom the kernel
 * lets write anyway: the store treats a file or folder with no write permission bit as read-only
 * for root too (so `chmod` is an honest test here), and one test drops to `nobody` in a child
 * process, where only the kernel says no.
 */
let tmp: ReturnType<typeof tempDir>
let logDir: string
let path: string
let ids: number[]
beforeEach(async () => {
  tmp = tempDir('readonly-')
  logDir = join(tmp.dir, 'logs')
  mkdirSync(logDir)
  path = dbPath(logDir)
  const store = await ExperimentStore.open(path)
  const a = await store.save({ name: 'A', tags: ['t'], edits: sampleEdits(0) })
  const b = await store.save({ name: 'B', edits: sampleEdits(1) })
  await store.addRun(a.id, {
    kind: 'predict',
    inputs: { text: 'The nurse said' },
    settings: { topK: 5 },
    outputs: { topk: [] },
    metrics: { top1Prob: 0.5 },
    blobs: { logProbs: { dtype: 'float32', shape: [2], data: Float32Array.from([-1, -2]) } },
    appVersion: 'test',
    runtimeVersion: null,
    executionProvider: null,
    checkpoint: null,
  })
  await store.close()
  ids = [a.id, b.id]
})
afterEach(() => {
  chmodSync(logDir, 0o755)
  tmp.cleanup()
})

/** Every read the CLI's list, show, compare and export make; then a save must fail with store-io. */
async function readEverything(file: string) {
  const store = await ExperimentStore.open(file)
  try {
    expect(store.database.readonly).toBe(true)
    expect((await store.list()).items.map((e) => e.name).sort()).toEqual(['A', 'B'])
    expect((await store.search('A')).total).toBeGreaterThanOrEqual(0)
    expect((await store.runs(ids[0]))[0].metrics).toEqual({ top1Prob: 0.5 })
    expect((await compareExperiments(store, ids)).edits.length).toBeGreaterThan(0)
    expect((await exportBundle(store, ids, 'test')).experiments).toHaveLength(2)
    await expect(store.save({ name: 'C', edits: sampleEdits() })).rejects.toMatchObject({ code: 'store-io' })
  } finally {
    await store.close()
  }
}

describe('a log in a read-only location', () => {
  it.each([
    ['a read-only file', () => chmodSync(path, 0o444)],
    ['a read-only folder', () => chmodSync(logDir, 0o555)],
  ])('in %s is read without creating any file beside it', async (_what, makeReadOnly) => {
    makeReadOnly()
    const before = folderSnapshot(logDir)
    await readEverything(path)
    expect(changedFiles(before, folderSnapshot(logDir))).toEqual([])
  })

  it('works through the CLI (list, show, compare, export), and a save is store-io', async () => {
    chmodSync(path, 0o444)
    const before = folderSnapshot(logDir)
    const cli = async (...argv: string[]) => {
      const out = { stdout: '', stderr: '' }
      const code = await runCli(argv, {
        stdout: { write: (s: string) => (out.stdout += s) },
        stderr: { write: (s: string) => (out.stderr += s) },
      })
      return { code, ...out }
    }
    expect(JSON.parse((await cli('experiment', 'list', '--db', path)).stdout).total).toBe(2)
    expect((await cli('experiment', 'show', '--db', path, String(ids[0]))).code).toBe(0)
    expect((await cli('experiment', 'compare', '--db', path, ...ids.map(String), '--format', 'md')).code).toBe(0)
    expect((await cli('experiment', 'export', '--db', path, ...ids.map(String), '--out', join(tmp.dir, 'out.json'))).code).toBe(0)
    const edits = join(tmp.dir, 'edits.json')
    writeFileSync(edits, JSON.stringify(sampleEdits()))
    const save = await cli('experiment', 'save', '--db', path, '--name', 'C', '--edits', edits)
    expect(save.code).toBe(1)
    expect(save.stderr).toMatch(/^error\[store-io\]/)
    expect(changedFiles(before, folderSnapshot(logDir))).toEqual([])
  })

  it('reads what another connection committed to the WAL, through the -wal and -shm already there', async () => {
    const writer = await ExperimentStore.open(path)
    try {
      await writer.save({ name: 'in the WAL', edits: sampleEdits() })
      chmodSync(logDir, 0o555)
      const before = folderSnapshot(logDir)
      expect([...before.keys()]).toEqual(['experiments.sqlite', 'experiments.sqlite-shm', 'experiments.sqlite-wal'])
      const reader = await ExperimentStore.open(path)
      expect((await reader.list()).total).toBe(3)
      await reader.close()
      const after = folderSnapshot(logDir)
      expect([...after.keys()]).toEqual([...before.keys()])
      for (const name of ['experiments.sqlite', 'experiments.sqlite-wal']) expect(after.get(name)!.equals(before.get(name)!)).toBe(true)
    } finally {
      chmodSync(logDir, 0o755)
      await writer.close()
    }
  })

  it('gives store-io, creating nothing, for a WAL without its -shm (reading it would create one)', async () => {
    const writer = await ExperimentStore.open(path)
    const copyDir = join(tmp.dir, 'copy')
    mkdirSync(copyDir)
    try {
      await writer.save({ name: 'in the WAL', edits: sampleEdits() })
      copyFileSync(path, join(copyDir, 'experiments.sqlite'))
      copyFileSync(`${path}-wal`, join(copyDir, 'experiments.sqlite-wal'))
    } finally {
      await writer.close()
    }
    chmodSync(copyDir, 0o555)
    const before = folderSnapshot(copyDir)
    await expect(ExperimentStore.open(join(copyDir, 'experiments.sqlite'))).rejects.toMatchObject({ code: 'store-io' })
    expect(changedFiles(before, folderSnapshot(copyDir))).toEqual([])
    chmodSync(copyDir, 0o755)
  })

  // the child runs as nobody and loads sqlite3 from this checkout: only where others may reach it
  it.runIf(process.getuid?.() === 0 && othersCanReach(REPO_ROOT))(
    'is read-only for a user the kernel refuses (a child process as nobody)',
    async () => {
      chmodSync(tmp.dir, 0o755) // the folder of the bundled script; the log's folder stays root's 0755
      const script = await bundleHelper('read-log', tmp.dir)
      const before = folderSnapshot(logDir)
      const child = startChild(script, [path], { uid: 65534, gid: 65534 })
      const out = await child.done
      expect(out.stderr).toBe('')
      expect(JSON.parse(out.stdout)).toEqual({ total: 2, names: ['B', 'A'], save: 'store-io' })
      expect(changedFiles(before, folderSnapshot(logDir))).toEqual([])
    },
  )
})

const REPO_ROOT = resolve(import.meta.dirname, '..', '..', '..')

/** Whether a user with no rights of its own (the "others" permission bits) can reach `path`: every folder on the way searchable. */
function othersCanReach(path: string): boolean {
  for (let dir = resolve(path); ; dir = dirname(dir)) {
    if ((statSync(dir).mode & 0o001) === 0) return false
    if (dirname(dir) === dir) return true
  }
}
