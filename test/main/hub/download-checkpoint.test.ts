import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, readlinkSync } from 'node:fs'
import { mkdir, mkdtemp, readdir, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { downloadCheckpoint, type DownloadCheckpointOptions, type HubDownloadProgress } from '../../../src/main/hub/download-checkpoint'
import { WorkbenchError } from '../../../src/shared/errors'
import { tinyConfig, tinySafetensors } from './checkpoint-bytes'
import { gitBlobSha1, sha256, startFakeHub, type FakeHub } from './fake-hub-server'

const REPO = 'stanfordnlp/backpack-gpt2'
const COMMIT = 'a'.repeat(8) + '0123456789abcdef0123456789abcdef'
const REPO_DIR = 'models--stanfordnlp--backpack-gpt2'

let hub: FakeHub
let cacheDir: string
const config = tinyConfig()
const weights = tinySafetensors() // 131 kB

beforeEach(async () => {
  hub = await startFakeHub(REPO, COMMIT, [
    { path: 'config.json', content: config, lfs: false },
    { path: 'model.safetensors', content: weights, lfs: true },
    { path: 'README.md', content: Buffer.from('# card\n'), lfs: false },
  ])
  cacheDir = await mkdtemp(join(tmpdir(), 'hf-cache-'))
})

afterEach(async () => {
  await hub.close()
  await rm(cacheDir, { recursive: true, force: true })
})

/** Options with a sealed environment: no HF_* or proxy variables leak in from the machine. */
function opts(extra: Partial<DownloadCheckpointOptions> = {}): DownloadCheckpointOptions {
  return { repo: REPO, endpoint: hub.url, cacheDir, env: {}, retryDelayMs: 0, ...extra }
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p
  } catch (e) {
    if (e instanceof WorkbenchError) return e.code
    throw e
  }
  throw new Error('expected the promise to reject')
}

const contentGets = (path: string) => hub.requests.filter((r) => r.method === 'GET' && r.path === path)
const cdnPath = `/cdn/${sha256(weights)}`

describe('downloadCheckpoint against a local Hub', () => {
  it('downloads config.json + model.safetensors into the standard HF cache layout', async () => {
    const events: HubDownloadProgress[] = []
    const result = await downloadCheckpoint(opts({ onProgress: (e) => events.push(e) }))

    const repoDir = join(cacheDir, REPO_DIR)
    expect(result.commit).toBe(COMMIT)
    expect(result.snapshot).toBe(join(repoDir, 'snapshots', COMMIT))
    expect(result.files.map((f) => [f.path, f.source, f.verification])).toEqual([
      ['config.json', 'download', 'git-sha1'],
      ['model.safetensors', 'download', 'sha256'],
    ])
    expect(result.bytesDownloaded).toBe(config.length + weights.length)
    expect(readFileSync(join(result.snapshot, 'model.safetensors')).equals(weights)).toBe(true)
    expect(readFileSync(join(result.snapshot, 'config.json')).equals(config)).toBe(true)
    // Python's layout: relative symlinks into blobs named by the ETag, refs/main = commit (no newline)
    expect(readlinkSync(join(result.snapshot, 'model.safetensors'))).toBe(join('..', '..', 'blobs', sha256(weights)))
    expect(readlinkSync(join(result.snapshot, 'config.json'))).toBe(join('..', '..', 'blobs', gitBlobSha1(config)))
    expect(readFileSync(join(repoDir, 'refs', 'main'), 'utf8')).toBe(COMMIT)
    expect(existsSync(join(repoDir, '.no_exist', COMMIT, 'pytorch_model.bin'))).toBe(true)
    expect((await readdir(join(repoDir, 'blobs'))).some((f) => f.endsWith('.incomplete'))).toBe(false)
    // README.md is not part of a checkpoint
    expect(hub.requests.some((r) => r.path.endsWith('/README.md'))).toBe(false)

    expect(events[0].phase).toBe('resolving')
    expect(events.at(-1)).toMatchObject({ phase: 'done', bytes: config.length + weights.length, total: config.length + weights.length })
    const bytes = events.map((e) => e.bytes)
    expect(bytes).toEqual([...bytes].sort((a, b) => a - b))
  })

  it('prefers model.safetensors but takes pytorch_model.bin when that is all the repo has', async () => {
    await hub.close()
    const bin = Buffer.alloc(5000, 7)
    hub = await startFakeHub(REPO, COMMIT, [
      { path: 'config.json', content: config, lfs: false },
      { path: 'pytorch_model.bin', content: bin, lfs: true },
    ])
    const result = await downloadCheckpoint(opts())
    expect(result.files.map((f) => f.path)).toEqual(['config.json', 'pytorch_model.bin'])
    expect(readFileSync(join(result.snapshot, 'pytorch_model.bin')).equals(bin)).toBe(true)
  })

  it('resumes with a Range request after the connection drops mid-file', async () => {
    const cut = 40_000
    hub.dropOnce('model.safetensors', cut)
    const result = await downloadCheckpoint(opts())

    const gets = contentGets(cdnPath)
    expect(gets.map((g) => g.range)).toEqual([undefined, `bytes=${cut}-`])
    expect(hub.bytesServed).toBeLessThan(2 * (weights.length + config.length))
    expect(hub.bytesServed).toBe(weights.length + config.length) // nothing sent twice
    expect(result.files[1]).toMatchObject({ path: 'model.safetensors', verification: 'sha256', resumedFrom: 0, resumes: 1 })
    expect(readFileSync(join(result.snapshot, 'model.safetensors')).equals(weights)).toBe(true)
  })

  it('rejects corrupted LFS bytes (sha256) and puts nothing in snapshots', async () => {
    hub.corrupt('model.safetensors')
    expect(await codeOf(downloadCheckpoint(opts()))).toBe('hub-integrity')
    const repoDir = join(cacheDir, REPO_DIR)
    expect(existsSync(join(repoDir, 'snapshots', COMMIT, 'model.safetensors'))).toBe(false)
    const blobs = await readdir(join(repoDir, 'blobs'))
    expect(blobs.filter((b) => b.startsWith(sha256(weights)))).toEqual([])
  })

  it('rejects corrupted regular files (git blob sha1)', async () => {
    hub.corrupt('config.json')
    expect(await codeOf(downloadCheckpoint(opts()))).toBe('hub-integrity')
    expect(existsSync(join(cacheDir, REPO_DIR, 'snapshots', COMMIT, 'config.json'))).toBe(false)
  })

  it('offline with the revision cached: works without any request', async () => {
    const first = await downloadCheckpoint(opts())
    hub.requests.length = 0
    const again = await downloadCheckpoint(opts({ env: { HF_HUB_OFFLINE: '1' } }))
    expect(hub.requests).toEqual([])
    expect(again.snapshot).toBe(first.snapshot)
    expect(again.files.map((f) => [f.path, f.source, f.size])).toEqual([
      ['config.json', 'cache', config.length],
      ['model.safetensors', 'cache', weights.length],
    ])
  })

  it('offline without a cache: hub-offline naming the missing files, no request', async () => {
    const err = await downloadCheckpoint(opts({ offline: true })).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(WorkbenchError)
    expect((err as WorkbenchError).code).toBe('hub-offline')
    expect((err as WorkbenchError).message).toContain('config.json')
    expect((err as WorkbenchError).message).toContain('model.safetensors or pytorch_model.bin')
    expect(hub.requests).toEqual([])
  })

  it('offline with only part of the snapshot cached lists exactly what is missing', async () => {
    await downloadCheckpoint(opts({ files: ['config.json'] }))
    const err = await downloadCheckpoint(opts({ offline: true, files: ['config.json', 'model.safetensors'] })).catch((e: unknown) => e)
    expect((err as WorkbenchError).code).toBe('hub-offline')
    expect((err as WorkbenchError).message).toMatch(/missing model\.safetensors in /)
  })

  it('finds a checkpoint that Python huggingface_hub already cached and makes no request', async () => {
    const repoDir = join(cacheDir, REPO_DIR)
    const snap = join(repoDir, 'snapshots', COMMIT)
    await mkdir(join(repoDir, 'blobs'), { recursive: true })
    await mkdir(join(repoDir, 'refs'), { recursive: true })
    await mkdir(snap, { recursive: true })
    await writeFile(join(repoDir, 'blobs', sha256(weights)), weights)
    await writeFile(join(repoDir, 'blobs', gitBlobSha1(config)), config)
    await symlink(`../../blobs/${sha256(weights)}`, join(snap, 'model.safetensors'))
    await symlink(`../../blobs/${gitBlobSha1(config)}`, join(snap, 'config.json'))
    await writeFile(join(repoDir, 'refs', 'main'), COMMIT)

    const result = await downloadCheckpoint(opts({ env: { HF_HUB_CACHE: cacheDir }, cacheDir: undefined }))
    expect(hub.requests).toEqual([])
    expect(result.snapshot).toBe(snap)
    expect(result.files.every((f) => f.source === 'cache')).toBe(true)
  })

  it('reuses a blob another revision already downloaded (HEADs only, no GET of content)', async () => {
    await downloadCheckpoint(opts())
    await rm(join(cacheDir, REPO_DIR, 'snapshots'), { recursive: true })
    hub.requests.length = 0
    const result = await downloadCheckpoint(opts({ refresh: true }))
    expect(contentGets(cdnPath)).toEqual([])
    expect(hub.requests.filter((r) => r.method === 'GET' && r.path.includes('/resolve/'))).toEqual([])
    expect(result.files.every((f) => f.source === 'cache')).toBe(true)
    expect(readFileSync(join(result.snapshot, 'model.safetensors')).equals(weights)).toBe(true)
  })

  it('sends HF_TOKEN as a bearer token, and nothing without one', async () => {
    await downloadCheckpoint(opts({ env: { HF_TOKEN: 'hf_secret123' } }))
    expect(hub.requests.length).toBeGreaterThan(0)
    expect(hub.requests.every((r) => r.authorization === 'Bearer hf_secret123')).toBe(true)

    await rm(cacheDir, { recursive: true, force: true })
    hub.requests.length = 0
    await downloadCheckpoint(opts())
    expect(hub.requests.every((r) => r.authorization === undefined)).toBe(true)
  })

  it('cancel via AbortSignal leaves a resumable .incomplete that the next run continues', async () => {
    const kept = 30_000
    hub.stall('model.safetensors', kept)
    const controller = new AbortController()
    const onProgress = (e: HubDownloadProgress) => {
      if (e.file === 'model.safetensors' && e.fileBytes >= kept) controller.abort()
    }
    // Progress events are throttled, so also watch the partial file reach the stalled size.
    const partial = join(cacheDir, REPO_DIR, 'blobs', `${sha256(weights)}.incomplete`)
    const poll = setInterval(() => {
      stat(partial).then(
        (s) => s.size >= kept && controller.abort(),
        () => undefined,
      )
    }, 5)
    const code = await codeOf(downloadCheckpoint(opts({ signal: controller.signal, onProgress })))
    clearInterval(poll)
    expect(code).toBe('cancelled')

    expect((await stat(partial)).size).toBe(kept)
    expect(existsSync(join(cacheDir, REPO_DIR, 'snapshots', COMMIT, 'model.safetensors'))).toBe(false)

    hub.requests.length = 0
    const result = await downloadCheckpoint(opts())
    expect(contentGets(cdnPath).map((g) => g.range)).toEqual([`bytes=${kept}-`])
    expect(result.files[1]).toMatchObject({ source: 'download', resumedFrom: kept, resumes: 1, verification: 'sha256' })
    expect(readFileSync(join(result.snapshot, 'model.safetensors')).equals(weights)).toBe(true)
  })

  it('follows a renamed repository (relative or absolute same-host redirect) and caches under the name asked for', async () => {
    for (const [old, absolute] of [
      ['old-org/old-name', false],
      ['older/name', true],
    ] as const) {
      hub.renamedFrom(old, absolute)
      const result = await downloadCheckpoint(opts({ repo: old }))
      expect(result.snapshot).toBe(join(cacheDir, `models--${old.replace('/', '--')}`, 'snapshots', COMMIT))
      expect(readFileSync(join(result.snapshot, 'model.safetensors')).equals(weights)).toBe(true)
    }
  })

  it('takes a pull-request revision (refs/pr/N): URL-encoded on the wire, refs/refs/pr/N in the cache', async () => {
    const result = await downloadCheckpoint(opts({ revision: 'refs/pr/4' }))
    expect(hub.requests[0].path).toBe(`/api/models/${REPO}/revision/refs%2Fpr%2F4`)
    expect(readFileSync(join(cacheDir, REPO_DIR, 'refs', 'refs', 'pr', '4'), 'utf8')).toBe(COMMIT)
    hub.requests.length = 0
    const again = await downloadCheckpoint(opts({ revision: 'refs/pr/4', offline: true }))
    expect(again.snapshot).toBe(result.snapshot)
    expect(hub.requests).toEqual([])
  })

  it('reports a repository that is not a checkpoint, and an unknown revision, as hub errors', async () => {
    await hub.close()
    hub = await startFakeHub(REPO, COMMIT, [{ path: 'README.md', content: Buffer.from('x'), lfs: false }])
    expect(await codeOf(downloadCheckpoint(opts()))).toBe('hub')
    expect(await codeOf(downloadCheckpoint(opts({ revision: 'no-such-branch' })))).toBe('hub')
  })

  it('reports a cache folder that cannot be created (ENOENT under /proc) without hanging or any request', async () => {
    if (!existsSync('/proc/self')) return // not Linux
    const err = await downloadCheckpoint(opts({ cacheDir: '/proc/backpack-nope/hub' })).catch((e: unknown) => e as WorkbenchError)
    expect(err).toMatchObject({
      code: 'hub',
      message: expect.stringContaining('cannot create the Hugging Face cache folder /proc/backpack-nope/hub'),
    })
    expect(hub.requests).toEqual([])
  })

  it('validates repo, revision and file names before any request', async () => {
    expect(await codeOf(downloadCheckpoint(opts({ repo: '../etc' })))).toBe('bad-request')
    expect(await codeOf(downloadCheckpoint(opts({ revision: '../../x' })))).toBe('bad-request')
    expect(await codeOf(downloadCheckpoint(opts({ files: ['/abs/config.json'] })))).toBe('bad-request')
    expect(hub.requests).toEqual([])
  })
})

describe('one downloader per blob', () => {
  it('does not take over a lock another process has created but not yet written, unless it stays empty for long', async () => {
    const lock = join(cacheDir, '.locks', REPO_DIR, `${sha256(weights)}.lock`)
    await mkdir(join(cacheDir, '.locks', REPO_DIR), { recursive: true })
    await writeFile(lock, '') // the moment between open('wx') and writing pid@host
    const err = await downloadCheckpoint(opts()).catch((e: unknown) => e as WorkbenchError)
    expect(err).toMatchObject({ code: 'hub', message: expect.stringContaining('being downloaded by another process') })
    expect(contentGets(cdnPath)).toEqual([])
    expect(existsSync(lock)).toBe(true)

    const old = new Date(Date.now() - 60_000)
    await utimes(lock, old, old)
    const result = await downloadCheckpoint(opts())
    expect(readFileSync(join(result.snapshot, 'model.safetensors')).equals(weights)).toBe(true)
    expect(existsSync(lock)).toBe(false)
  })

  it('refuses while another live process holds the lock, and takes over a stale one', async () => {
    const lock = join(cacheDir, '.locks', REPO_DIR, `${sha256(weights)}.lock`)
    await mkdir(join(cacheDir, '.locks', REPO_DIR), { recursive: true })
    await writeFile(lock, `${process.pid}@${hostname()}`) // alive: this very process
    expect(await codeOf(downloadCheckpoint(opts()))).toBe('hub')
    expect(contentGets(cdnPath)).toEqual([])

    const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'])
    await writeFile(lock, `${child.stdout.toString()}@${hostname()}`) // that process has exited
    const result = await downloadCheckpoint(opts())
    expect(readFileSync(join(result.snapshot, 'model.safetensors')).equals(weights)).toBe(true)
    expect(existsSync(lock)).toBe(false)
  })
})
