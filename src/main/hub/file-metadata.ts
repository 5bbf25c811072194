import { WorkbenchError } from '../../shared/errors'
import type { HubHttp } from './hub-http'

/** What a HEAD on `/{repo}/resolve/{revision}/{file}` says about one file. */
export interface FileMetadata {
  /** The commit the revision resolved to (`X-Repo-Commit`). */
  commit: string
  /** `X-Linked-Etag` (LFS: sha256 of the content) or `ETag` (git blob sha1), unquoted. */
  etag: string
  /** `X-Linked-Size` or `Content-Length`. */
  size: number
  /** Where to GET the bytes: the CDN location for LFS files, else the resolve URL. */
  location: string
}

/** Strips the weak prefix and quotes, as huggingface_hub does. */
export function normalizeEtag(value: string): string {
  return value.replace(/^W\//, '').replace(/^"|"$/g, '')
}

export function resolveUrl(endpoint: string, repo: string, revision: string, file: string): string {
  const path = file.split('/').map(encodeURIComponent).join('/')
  return `${endpoint}/${repo}/resolve/${encodeURIComponent(revision)}/${path}`
}

function hubStatusError(status: number, headers: Record<string, string>, what: string): WorkbenchError {
  const code = headers['x-error-code']
  const hint =
    status === 401 || status === 403
      ? 'the repository is private or gated: set HF_TOKEN to a token that can read it'
      : code === 'EntryNotFound'
        ? 'the file does not exist at this revision'
        : code === 'RevisionNotFound'
          ? 'the revision does not exist (use a branch, tag or commit of the repository)'
          : code === 'RepositoryNotFound' || status === 404
            ? 'the repository does not exist or needs a token (HF_TOKEN)'
            : (headers['x-error-message'] ?? 'unexpected response')
  return new WorkbenchError('hub', `${what}: HTTP ${status}${code ? ` (${code})` : ''}: ${hint}`)
}

/**
 * HEAD the resolve URL. Relative redirects (renamed repos) are followed; an absolute redirect
 * (to the CDN) carries the file's metadata itself and is not followed — unless it lacks
 * X-Repo-Commit and stays on the same host (a mirror's internal redirect), as huggingface_hub does.
 */
export async function fileMetadata(http: HubHttp, url: string, signal?: AbortSignal): Promise<FileMetadata> {
  let res = await http.request(url, { method: 'HEAD', signal, relativeRedirectsOnly: true })
  await res.body.dump()
  for (let hop = 0; hop < 5 && res.status >= 300 && res.status < 400 && res.headers.location && !res.headers['x-repo-commit']; hop++) {
    if (new URL(res.headers.location).hostname !== new URL(res.url).hostname) break
    res = await http.request(res.headers.location, { method: 'HEAD', signal, relativeRedirectsOnly: true })
    await res.body.dump()
  }
  const h = res.headers
  if (res.status >= 400) throw hubStatusError(res.status, h, `HEAD ${url}`)
  const commit = h['x-repo-commit']
  const etagRaw = h['x-linked-etag'] ?? h.etag
  const size = Number(h['x-linked-size'] ?? h['content-length'])
  if (!commit || !/^[0-9a-f]{40}$/.test(commit) || !etagRaw || !Number.isSafeInteger(size) || size < 0) {
    throw new WorkbenchError(
      'hub',
      `HEAD ${url} did not return X-Repo-Commit (40 hex), ETag and a size (got commit=${JSON.stringify(commit)}, etag=${JSON.stringify(etagRaw)}, size=${JSON.stringify(h['x-linked-size'] ?? h['content-length'])}); is HF_ENDPOINT a Hugging Face Hub?`,
    )
  }
  const etag = normalizeEtag(etagRaw)
  if (!/^[A-Za-z0-9._-]{1,128}$/.test(etag)) {
    throw new WorkbenchError('hub', `HEAD ${url} returned an ETag that cannot name a cache blob: ${JSON.stringify(etagRaw)}`)
  }
  const location = res.status >= 300 && res.status < 400 && h.location ? h.location : res.url
  return { commit, etag, size, location }
}

export { hubStatusError }
