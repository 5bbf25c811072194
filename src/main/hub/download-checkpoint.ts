import { stat } from 'node:fs/promises'
import { HubApiError, modelInfo } from '@huggingface/hub'
import { WorkbenchError } from '../../shared/errors'
import { createFolder } from '../paths/create-folder'
import { blobLock } from './blob-lock'
import { transferBlob } from './blob-transfer'
import type { Verification } from './blob-verifier'
import { cachedSnapshot } from './cached-snapshot'
import { fileMetadata, resolveUrl, type FileMetadata } from './file-metadata'
import { hubCacheLayout, type HubCacheLayout } from './hub-cache-layout'
import { hubHttp, type HubHttp } from './hub-http'
import { validateRepoFile, validateRepoId, validateRevision } from './hub-names'
import { hubSettings, type HubSettings } from './hub-settings'
import { selectCheckpointFiles, WEIGHT_FILES } from './select-checkpoint-files'
import { TransferProgress, type HubDownloadProgress } from './transfer-progress'

export type { HubDownloadProgress } from './transfer-progress'

/**
 * Gets a checkpoint from the Hugging Face Hub into the standard HF cache and returns its
 * snapshot directory (ready for `--checkpoint`). Uses the cache without any request when the
 * revision is already complete there (files put there by Python count too); otherwise resolves
 * the files, then downloads, resumes and verifies the missing blobs.
 */
export interface DownloadCheckpointOptions {
  /** `owner/name`, e.g. stanfordnlp/backpack-gpt2. */
  repo: string
  /** Branch, tag, `refs/pr/N` or commit; default `main`. */
  revision?: string
  /** Repository paths; default config.json + model.safetensors (or pytorch_model.bin). */
  files?: string[]
  /** Overrides HF_ENDPOINT. */
  endpoint?: string
  /** Overrides HF_HUB_CACHE / HF_HOME/hub. */
  cacheDir?: string
  /** Overrides HF_TOKEN. */
  token?: string
  /** Overrides HF_HUB_OFFLINE. */
  offline?: boolean
  /** Ask the Hub even when the cache already has the revision (to pick up a moved branch). */
  refresh?: boolean
  /** Environment to read HF_* and proxy variables from (default process.env). */
  env?: NodeJS.ProcessEnv
  signal?: AbortSignal
  onProgress?: (event: HubDownloadProgress) => void
  /** Resume attempts after a dropped connection, per file (default 5). */
  retries?: number
  /** Delay before the n-th retry is n × this (default 1000 ms). */
  retryDelayMs?: number
}

export interface DownloadedFile {
  path: string
  size: number
  source: 'cache' | 'download'
  /** How the bytes were checked: against the Hub's ETag, or trusted because they were cached. */
  verification: Verification | 'cached'
  /** Bytes reused from an earlier interrupted download. */
  resumedFrom: number
  /** Range requests sent to continue this file (after an earlier run or a dropped connection). */
  resumes: number
}

export interface DownloadCheckpointResult {
  repo: string
  revision: string
  commit: string
  /** snapshots/<commit>: pass this as --checkpoint. */
  snapshot: string
  cacheDir: string
  files: DownloadedFile[]
  /** Bytes received over the network in this call. */
  bytesDownloaded: number
}

export async function downloadCheckpoint(options: DownloadCheckpointOptions): Promise<DownloadCheckpointResult> {
  const repo = validateRepoId(options.repo)
  const revision = validateRevision(options.revision ?? 'main')
  const requested = options.files?.map(validateRepoFile)
  if (requested && requested.length === 0) throw new WorkbenchError('bad-request', '--files must name at least one file')
  const settings = hubSettings(
    { endpoint: options.endpoint, token: options.token, offline: options.offline, cacheDir: options.cacheDir },
    options.env,
  )
  const layout = hubCacheLayout(settings.cacheDir, repo)
  const cached = await cachedSnapshot(layout, revision, requested)
  if (cached.commit && cached.missing.length === 0 && (settings.offline || !options.refresh)) {
    return fromCache(repo, revision, cached.commit, cached.files, settings, layout, options.onProgress)
  }
  if (settings.offline) {
    const where = cached.commit ? `${layout.snapshotDir(cached.commit)}` : `${layout.repoDir} (no refs/${revision})`
    throw new WorkbenchError(
      'hub-offline',
      `HF_HUB_OFFLINE is set and ${repo}@${revision} is not fully cached: missing ${cached.missing.join(', ')} in ${where}; unset HF_HUB_OFFLINE to download them, or point HF_HUB_CACHE/--cache-dir at a cache that has them`,
    )
  }
  try {
    createFolder(settings.cacheDir)
  } catch (e) {
    throw new WorkbenchError(
      'hub',
      `cannot create the Hugging Face cache folder ${settings.cacheDir}: ${(e as Error).message}; choose another --cache-dir or HF_HUB_CACHE`,
      { cause: e },
    )
  }
  const http = hubHttp(settings, options.signal)
  try {
    return await fromHub(repo, revision, requested, settings, layout, http, options)
  } finally {
    await http.close()
  }
}

async function fromCache(
  repo: string,
  revision: string,
  commit: string,
  files: string[],
  settings: HubSettings,
  layout: HubCacheLayout,
  onProgress: DownloadCheckpointOptions['onProgress'],
): Promise<DownloadCheckpointResult> {
  const out: DownloadedFile[] = []
  for (const path of files) {
    const { size } = await stat(layout.snapshotFile(commit, path))
    out.push({ path, size, source: 'cache', verification: 'cached', resumedFrom: 0, resumes: 0 })
  }
  const total = out.reduce((s, f) => s + f.size, 0)
  onProgress?.({ phase: 'done', file: null, fileBytes: 0, fileTotal: 0, bytes: total, total, rate: 0, etaSeconds: 0 })
  return { repo, revision, commit, snapshot: layout.snapshotDir(commit), cacheDir: settings.cacheDir, files: out, bytesDownloaded: 0 }
}

/** Lists the repository at the revision with @huggingface/hub (GET /api/models/{repo}/revision/{rev}). */
async function listRepo(http: HubHttp, settings: HubSettings, repo: string, revision: string, signal?: AbortSignal) {
  try {
    const info = await modelInfo({
      name: repo,
      revision,
      hubUrl: settings.endpoint,
      additionalFields: ['sha', 'filePaths'],
      fetch: http.fetch,
    })
    return { sha: info.sha, files: new Set(info.filePaths) }
  } catch (e) {
    if (signal?.aborted) throw new WorkbenchError('cancelled', `listing ${repo}@${revision} was cancelled`, { cause: e })
    if (e instanceof WorkbenchError) throw e
    if (e instanceof HubApiError) {
      const hint = e.statusCode === 401 || e.statusCode === 403 ? '; set HF_TOKEN for private or gated repositories' : ''
      throw new WorkbenchError(
        'hub',
        `cannot list ${repo}@${revision} on ${settings.endpoint} (HTTP ${e.statusCode}): ${e.message}${hint}`,
        { cause: e },
      )
    }
    // undici's fetch says only "fetch failed"; the reason (ECONNREFUSED, ENOTFOUND, …) is in its cause
    throw new WorkbenchError(
      'hub',
      `cannot reach ${settings.endpoint} to list ${repo}@${revision}: ${errorChain(e)} (check the network, HF_ENDPOINT and HTTPS_PROXY/NO_PROXY${proxyInUse(settings)}; HF_HUB_OFFLINE=1 uses the cache only)`,
      { cause: e },
    )
  }
}

async function fromHub(
  repo: string,
  revision: string,
  requested: string[] | undefined,
  settings: HubSettings,
  layout: HubCacheLayout,
  http: HubHttp,
  options: DownloadCheckpointOptions,
): Promise<DownloadCheckpointResult> {
  const { signal, onProgress } = options
  const progress = new TransferProgress()
  const emit = (phase: HubDownloadProgress['phase'], file: string | null, fileBytes: number, fileTotal: number, force: boolean) => {
    if (!onProgress || !progress.due(force)) return
    onProgress({
      phase,
      file,
      fileBytes,
      fileTotal,
      bytes: progress.bytes,
      total: progress.total,
      rate: progress.rate(),
      etaSeconds: progress.etaSeconds(),
    })
  }
  emit('resolving', null, 0, 0, true)

  let files = requested
  let pinned = revision
  let absent: string[] = []
  if (!files) {
    const listing = await listRepo(http, settings, repo, revision, signal)
    const selection = selectCheckpointFiles((f) => listing.files.has(f))
    if (selection.missing.length > 0) {
      throw new WorkbenchError(
        'hub',
        `${repo}@${revision} is not a Backpack checkpoint: it has no ${selection.missing.join(' and no ')} (files: ${[...listing.files].sort().join(', ')})`,
      )
    }
    files = selection.files
    absent = WEIGHT_FILES.filter((f) => !listing.files.has(f))
    if (listing.sha && /^[0-9a-f]{40}$/.test(listing.sha)) pinned = listing.sha // every file from one commit
  }

  const metas: FileMetadata[] = []
  for (const file of files) metas.push(await fileMetadata(http, resolveUrl(settings.endpoint, repo, pinned, file), signal))
  const commit = metas[0].commit
  const moved = metas.find((m) => m.commit !== commit)
  if (moved)
    throw new WorkbenchError(
      'hub',
      `${repo}@${revision} moved to another commit while resolving (${commit} then ${moved.commit}); run the download again`,
    )
  await layout.writeRef(revision, commit)
  for (const f of absent) await layout.markMissing(commit, f)
  progress.total = metas.reduce((s, m) => s + m.size, 0)

  const out: DownloadedFile[] = []
  let bytesDownloaded = 0
  for (const [i, file] of files.entries()) {
    const meta = metas[i]
    const blob = layout.blobPath(meta.etag)
    const inSnapshot = await layout.hasSnapshotFile(commit, file)
    if (inSnapshot || (await isFile(blob))) {
      if (!inSnapshot) await layout.linkSnapshotFile(commit, file, blob) // blob shared with another revision
      progress.addExisting(meta.size)
      out.push({ path: file, size: meta.size, source: 'cache', verification: 'cached', resumedFrom: 0, resumes: 0 })
      emit('downloading', file, meta.size, meta.size, true)
      continue
    }
    let fileBytes = 0
    emit('downloading', file, 0, meta.size, true)
    const unlock = await blobLock(layout.lockPath(meta.etag), `${repo}/${file}`)
    const done = await transferBlob({
      http,
      url: meta.location,
      blob,
      etag: meta.etag,
      size: meta.size,
      file,
      signal,
      retries: options.retries ?? 5,
      retryDelayMs: options.retryDelayMs ?? 1000,
      onExisting: (n) => {
        fileBytes += n
        progress.addExisting(n)
      },
      onTransferred: (n) => {
        fileBytes += n
        bytesDownloaded += n
        progress.addTransferred(n)
        emit('downloading', file, fileBytes, meta.size, false)
      },
      onDiscarded: (n) => {
        fileBytes -= n
        progress.bytes -= n
      },
      onVerifying: () => emit('verifying', file, fileBytes, meta.size, true),
    }).finally(unlock)
    await layout.linkSnapshotFile(commit, file, blob)
    out.push({
      path: file,
      size: meta.size,
      source: 'download',
      verification: done.verification,
      resumedFrom: done.resumedFrom,
      resumes: done.resumes,
    })
  }
  emit('done', null, 0, 0, true)
  return { repo, revision, commit, snapshot: layout.snapshotDir(commit), cacheDir: settings.cacheDir, files: out, bytesDownloaded }
}

/** "fetch failed: connect ECONNREFUSED 127.0.0.1:1": each distinct message down the cause chain. */
function errorChain(e: unknown): string {
  const parts: string[] = []
  for (let c = e, depth = 0; c instanceof Error && depth < 5; c = c.cause, depth++) {
    if (c.message && !parts.includes(c.message)) parts.push(c.message)
  }
  return parts.join(': ') || String(e)
}

function proxyInUse(settings: HubSettings): string {
  const { httpProxy, httpsProxy } = settings.proxy
  const proxy = settings.endpoint.startsWith('https:') ? httpsProxy || httpProxy : httpProxy
  return proxy ? `; requests go through the proxy ${proxy}` : ''
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile()
  } catch {
    return false
  }
}
