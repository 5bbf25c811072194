import { createReadStream } from 'node:fs'
import { open, rename, rm, stat } from 'node:fs/promises'
import { dirname } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { WorkbenchError } from '../../shared/errors'
import { createFolder } from '../paths/create-folder'
import { blobVerifier, type Verification } from './blob-verifier'
import { hubStatusError } from './file-metadata'
import { isAbort, type HubHttp } from './hub-http'

/**
 * Downloads one blob into `<blob>.incomplete`, resuming from the bytes already there with an
 * HTTP Range request (also after a dropped connection, up to `retries` times), then checks the
 * whole file against the ETag and only then renames it to `<blob>`. A mismatch deletes the
 * partial file and throws `hub-integrity`; a cancel keeps it for the next run.
 */
export interface TransferBlobOptions {
  http: HubHttp
  /** Where to GET the bytes (the CDN location for LFS files). */
  url: string
  /** Final blob path, blobs/<etag>. */
  blob: string
  etag: string
  size: number
  /** The repository path, for messages. */
  file: string
  signal?: AbortSignal
  retries: number
  retryDelayMs: number
  /** Bytes that were already on disk (once, at the start). */
  onExisting(bytes: number): void
  /** Bytes received now. */
  onTransferred(bytes: number): void
  /** The server ignored the Range request and the partial bytes were discarded. */
  onDiscarded(bytes: number): void
  onVerifying(): void
}

export interface TransferBlobResult {
  verification: Verification
  /** Bytes that came from an earlier partial download. */
  resumedFrom: number
  /** Range requests sent to resume (after a previous run or a dropped connection). */
  resumes: number
}

/** A dropped connection or truncated body: worth another try from where it stopped. */
class RetryableTransfer extends WorkbenchError {}

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size
  } catch {
    return 0
  }
}

function contentRangeStart(value: string | undefined): number | null {
  const m = /^bytes (\d+)-\d+\/(\d+|\*)$/.exec(value?.trim() ?? '')
  return m ? Number(m[1]) : null
}

export async function transferBlob(o: TransferBlobOptions): Promise<TransferBlobResult> {
  const partial = `${o.blob}.incomplete`
  createFolder(dirname(o.blob))
  let have = await sizeOf(partial)
  if (have > o.size) {
    await rm(partial, { force: true })
    have = 0
  }
  const resumedFrom = have
  o.onExisting(have)
  let resumes = 0
  for (let attempt = 0; ; attempt++) {
    have = await sizeOf(partial)
    if (have >= o.size) break
    if (have > 0) resumes++
    try {
      await fetchInto(o, partial, have)
      break
    } catch (e) {
      if (!(e instanceof RetryableTransfer) || attempt >= o.retries) throw e
      if (o.retryDelayMs > 0) await sleep(o.retryDelayMs * (attempt + 1), undefined, { signal: o.signal }).catch(() => undefined)
      if (o.signal?.aborted)
        throw new WorkbenchError(
          'cancelled',
          `download of ${o.file} was cancelled; ${await sizeOf(partial)} bytes kept in ${partial} for the next run`,
        )
    }
  }
  o.onVerifying()
  const verifier = blobVerifier(o.etag, o.size)
  let seen = 0
  try {
    for await (const chunk of createReadStream(partial, { signal: o.signal })) {
      verifier.update(chunk as Buffer)
      seen += (chunk as Buffer).length
    }
  } catch (e) {
    if (isAbort(e, o.signal))
      throw new WorkbenchError('cancelled', `verification of ${o.file} was cancelled; the download is kept in ${partial}`)
    throw e
  }
  if (!verifier.matches(seen)) {
    await rm(partial, { force: true })
    throw new WorkbenchError(
      'hub-integrity',
      `${o.file} from ${o.url} does not match the Hub's ETag: expected ${verifier.kind} ${o.etag} over ${o.size} bytes, got ${verifier.digest() ?? '(size only)'} over ${seen} bytes; the corrupt download was deleted, run the download again`,
    )
  }
  await rename(partial, o.blob)
  return { verification: verifier.kind, resumedFrom, resumes }
}

async function fetchInto(o: TransferBlobOptions, partial: string, have: number): Promise<void> {
  const res = await o.http.request(o.url, { headers: have > 0 ? { range: `bytes=${have}-` } : {}, signal: o.signal })
  let mode: 'a' | 'w' = 'a'
  let written = have
  if (res.status === 206) {
    const start = contentRangeStart(res.headers['content-range'])
    if (start !== have) {
      await res.body.dump()
      throw new WorkbenchError(
        'hub',
        `GET ${o.url} with Range bytes=${have}- answered Content-Range ${JSON.stringify(res.headers['content-range'])}; expected a range starting at ${have}`,
      )
    }
  } else if (res.status === 200) {
    if (have > 0) o.onDiscarded(have)
    mode = 'w'
    written = 0
  } else {
    await res.body.dump()
    throw hubStatusError(res.status, res.headers, `GET ${o.url}`)
  }
  const fh = await open(partial, mode)
  try {
    for await (const chunk of res.body) {
      const bytes = chunk as Buffer
      if (written + bytes.length > o.size) {
        await fh.close()
        await rm(partial, { force: true })
        throw new WorkbenchError(
          'hub-integrity',
          `${o.file} from ${o.url} is longer than the ${o.size} bytes the Hub announced; the download was deleted`,
        )
      }
      await fh.write(bytes)
      written += bytes.length
      o.onTransferred(bytes.length)
    }
  } catch (e) {
    if (e instanceof WorkbenchError) throw e
    if (isAbort(e, o.signal)) {
      throw new WorkbenchError(
        'cancelled',
        `download of ${o.file} was cancelled; ${written} of ${o.size} bytes kept in ${partial} for the next run`,
        { cause: e },
      )
    }
    throw new RetryableTransfer(
      'hub',
      `connection to ${o.url} dropped after ${written} of ${o.size} bytes (${(e as Error).message}); run again to resume`,
      { cause: e },
    )
  } finally {
    await fh.close().catch(() => undefined)
  }
  if (written < o.size) {
    throw new RetryableTransfer('hub', `${o.url} ended after ${written} of ${o.size} bytes; run again to resume`)
  }
}
