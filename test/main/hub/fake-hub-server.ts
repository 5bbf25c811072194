import { createHash } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

/**
 * A Hugging Face Hub stand-in on 127.0.0.1 that speaks the file-resolution protocol:
 * - GET /api/models/{repo}/revision/{rev}        → { sha, siblings } (what @huggingface/hub's modelInfo reads)
 * - HEAD|GET /{repo}/resolve/{rev}/{file}        → LFS: 302 to /cdn/{sha256} with X-Linked-Etag/X-Linked-Size;
 *                                                   regular: 200 with ETag = git blob sha1; both with X-Repo-Commit
 * - HEAD|GET /cdn/{sha256}                       → the bytes, with Accept-Ranges and 206 for Range requests
 * It records every request, can drop the connection mid-file and can corrupt the bytes it serves.
 */
export interface FakeFile {
  path: string
  content: Buffer
  lfs: boolean
}

export interface RecordedRequest {
  method: string
  path: string
  range?: string
  authorization?: string
}

export interface FakeHub {
  url: string
  repo: string
  commit: string
  files: FakeFile[]
  requests: RecordedRequest[]
  /** Bytes of file content the server has written (all responses together). */
  bytesServed: number
  /** The next GET of `path`'s content stops after `afterBytes` bytes of that response. */
  dropOnce(path: string, afterBytes: number): void
  /** Serve `path` with one byte flipped (its ETag stays that of the true content). */
  corrupt(path: string): void
  /** Serve `oldRepo` as a renamed repo: its URLs redirect (307) to this repo, absolute or relative. */
  renamedFrom(oldRepo: string, absolute: boolean): void
  /** Answer GETs of `path`'s content with only the headers, then wait (for cancel tests). */
  stall(path: string, afterBytes: number): void
  close(): Promise<void>
}

export const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex')
export const gitBlobSha1 = (b: Buffer) => createHash('sha1').update(`blob ${b.length}\0`).update(b).digest('hex')

export async function startFakeHub(repo: string, commit: string, files: FakeFile[]): Promise<FakeHub> {
  const drops = new Map<string, number>()
  const stalls = new Map<string, number>()
  const corrupted = new Set<string>()
  const renames = new Map<string, boolean>()
  const hub = { requests: [] as RecordedRequest[], bytesServed: 0 }

  function serveContent(req: IncomingMessage, res: ServerResponse, file: FakeFile, extra: Record<string, string>) {
    let body = file.content
    if (corrupted.has(file.path)) {
      body = Buffer.from(body)
      body[body.length >> 1] ^= 0xff
    }
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '')
    const start = range ? Number(range[1]) : 0
    if (start > body.length) {
      res.writeHead(416, { 'content-range': `bytes */${body.length}` }).end()
      return
    }
    const headers = {
      ...extra,
      'accept-ranges': 'bytes',
      'content-length': String(body.length - start),
      'content-type': 'application/octet-stream',
    }
    if (range) res.writeHead(206, { ...headers, 'content-range': `bytes ${start}-${body.length - 1}/${body.length}` })
    else res.writeHead(200, headers)
    if (req.method === 'HEAD') {
      res.end()
      return
    }
    const part = body.subarray(start)
    const drop = drops.get(file.path)
    const stall = stalls.get(file.path)
    if (drop !== undefined) {
      drops.delete(file.path)
      hub.bytesServed += drop
      res.write(part.subarray(0, drop), () => setTimeout(() => res.socket?.destroy(), 20))
      return
    }
    if (stall !== undefined) {
      stalls.delete(file.path)
      hub.bytesServed += stall
      res.write(part.subarray(0, stall)) // and never end: the client has to cancel
      return
    }
    hub.bytesServed += part.length
    res.end(part)
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    hub.requests.push({ method: req.method ?? '', path: url.pathname, range: req.headers.range, authorization: req.headers.authorization })
    const common = { 'x-repo-commit': commit }
    for (const [old, absolute] of renames) {
      for (const prefix of [`/${old}/`, `/api/models/${old}/`]) {
        if (!url.pathname.startsWith(prefix)) continue
        const target = prefix.replace(old, repo) + url.pathname.slice(prefix.length)
        const port = (server.address() as AddressInfo).port
        return void res.writeHead(307, { location: absolute ? `http://127.0.0.1:${port}${target}` : target }).end()
      }
    }
    const listing = new RegExp(`^/api/models/${repo}/revision/([^/]+)$`).exec(url.pathname)
    if (listing && req.method === 'GET') {
      const rev = decodeURIComponent(listing[1])
      if (rev !== 'main' && rev !== commit && !/^refs\/pr\/\d+$/.test(rev))
        return void res.writeHead(404, { 'x-error-code': 'RevisionNotFound' }).end()
      const body = {
        _id: 'x',
        id: repo,
        sha: commit,
        private: false,
        gated: false,
        downloads: 0,
        likes: 0,
        lastModified: '2023-05-01T00:00:00.000Z',
        siblings: files.map((f) => ({ rfilename: f.path })),
      }
      return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body))
    }
    const resolve = new RegExp(`^/${repo}/resolve/([^/]+)/(.+)$`).exec(url.pathname)
    if (resolve) {
      const rev = decodeURIComponent(resolve[1])
      const file = files.find((f) => f.path === decodeURIComponent(resolve[2]))
      if (rev !== 'main' && rev !== commit && !/^refs\/pr\/\d+$/.test(rev))
        return void res.writeHead(404, { 'x-error-code': 'RevisionNotFound' }).end()
      if (!file) return void res.writeHead(404, { 'x-error-code': 'EntryNotFound' }).end()
      if (file.lfs) {
        const port = (server.address() as AddressInfo).port
        const pointer = Buffer.from(
          `version https://git-lfs.github.com/spec/v1\noid sha256:${sha256(file.content)}\nsize ${file.content.length}\n`,
        )
        res.writeHead(302, {
          ...common,
          location: `http://127.0.0.1:${port}/cdn/${sha256(file.content)}`,
          etag: `"${gitBlobSha1(pointer)}"`,
          'x-linked-etag': `"${sha256(file.content)}"`,
          'x-linked-size': String(file.content.length),
          'content-length': '0',
        })
        return void res.end()
      }
      return serveContent(req, res, file, { ...common, etag: `"${gitBlobSha1(file.content)}"` })
    }
    const cdn = /^\/cdn\/([0-9a-f]{64})$/.exec(url.pathname)
    const lfsFile = cdn && files.find((f) => f.lfs && sha256(f.content) === cdn[1])
    if (lfsFile) return serveContent(req, res, lfsFile, { etag: `"${cdn![1]}"` })
    res.writeHead(404).end()
  })
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok))
  const port = (server.address() as AddressInfo).port
  return Object.assign(hub, {
    url: `http://127.0.0.1:${port}`,
    repo,
    commit,
    files,
    dropOnce: (path: string, afterBytes: number) => void drops.set(path, afterBytes),
    corrupt: (path: string) => void corrupted.add(path),
    renamedFrom: (oldRepo: string, absolute: boolean) => void renames.set(oldRepo, absolute),
    stall: (path: string, afterBytes: number) => void stalls.set(path, afterBytes),
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections()
        server.close(() => ok())
      }),
  })
}
