import { createHash, type Hash } from 'node:crypto'

/**
 * How the Hub's ETag identifies a file's bytes:
 * - LFS files: `X-Linked-Etag` is the sha256 of the content (64 hex);
 * - regular git files: `ETag` is the git blob id, sha1("blob <size>\0" + content) (40 hex);
 * - anything else (a future scheme): only the size can be checked.
 */
export type Verification = 'sha256' | 'git-sha1' | 'size-only'

export interface BlobVerifier {
  kind: Verification
  update(chunk: Uint8Array): void
  /** The computed digest (hex), or null for size-only. */
  digest(): string | null
  /** True when the bytes fed so far match the ETag (and the size). */
  matches(bytesSeen: number): boolean
}

export function verificationFor(etag: string): Verification {
  if (/^[0-9a-f]{64}$/.test(etag)) return 'sha256'
  if (/^[0-9a-f]{40}$/.test(etag)) return 'git-sha1'
  return 'size-only'
}

export function blobVerifier(etag: string, size: number): BlobVerifier {
  const kind = verificationFor(etag)
  let hash: Hash | null = null
  if (kind === 'sha256') hash = createHash('sha256')
  if (kind === 'git-sha1') hash = createHash('sha1').update(`blob ${size}\0`)
  let digest: string | null = null
  return {
    kind,
    update(chunk) {
      hash?.update(chunk)
    },
    digest() {
      if (hash && digest === null) digest = hash.digest('hex')
      return digest
    },
    matches(bytesSeen) {
      if (bytesSeen !== size) return false
      return kind === 'size-only' || this.digest() === etag
    },
  }
}
