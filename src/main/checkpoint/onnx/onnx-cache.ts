import { createHash, randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { WorkbenchError } from '../../../shared/errors'
import { cacheDir } from '../../paths/app-paths'
import { createFolder } from '../../paths/create-folder'
import { checkpointFingerprint } from '../checkpoint-fingerprint'
import { hasProbeVerdict, recordProbeVerdict } from '../probe-verdict'
import type { StreamedCheckpoint } from '../streamed-checkpoint'
import { CONVERTER_VERSION, readManifest, type OnnxManifest } from './onnx-manifest'

export interface ConversionProgress {
  phase: 'fingerprint' | 'read' | 'convert' | 'done'
  /** 0..1 within the whole conversion */
  fraction: number
  message: string
}

export interface CachedExport {
  dir: string
  manifest: OnnxManifest
  /** what this call had to do: nothing (fingerprint hit), read+hash (content hit), or convert */
  work: 'none' | 'hashed' | 'converted'
  timingsMs: Record<string, number>
}

/** `cacheDir()/onnx`: one directory per content hash, plus the fingerprint index. */
export function onnxCacheRoot(): string {
  return join(cacheDir(), 'onnx')
}

function indexPath(root: string, fingerprint: string): string {
  return join(root, 'fingerprints', `${createHash('sha256').update(fingerprint).digest('hex').slice(0, 32)}.json`)
}

/** Writes a small file atomically (temp file + rename). */
function writeAtomic(path: string, text: string): void {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`
  writeFileSync(tmp, text)
  renameSync(tmp, path)
}

function tryManifest(dir: string, contentHash?: string): OnnxManifest | null {
  if (!existsSync(dir)) return null
  try {
    const m = readManifest(dir)
    if (m.converterVersion !== CONVERTER_VERSION) return null // written by another converter: rebuild
    if (!hasProbeVerdict(m)) return null // not probed for float32 overflow (forward-probe.ts): rebuild
    return contentHash === undefined || m.contentHash === contentHash ? m : null
  } catch {
    return null
  }
}

/**
 * Returns the ONNX export of a checkpoint directory, converting it on a miss. A fingerprint
 * (paths, sizes, mtimes) index lets an unchanged checkpoint skip reading and hashing entirely;
 * otherwise the content hash finds an existing conversion. New conversions are written into a
 * temporary directory and renamed into place, so an interrupted one never leaves a broken entry.
 */
export async function ensureOnnxExport(
  checkpointDir: string,
  options: { signal?: AbortSignal; onProgress?: (p: ConversionProgress) => void } = {},
): Promise<CachedExport> {
  const { signal, onProgress } = options
  const root = onnxCacheRoot()
  const timingsMs: Record<string, number> = {}
  let t0 = performance.now()
  const lap = (name: string) => {
    const now = performance.now()
    timingsMs[name] = Math.round(now - t0)
    t0 = now
  }
  const aborted = (where: string) => {
    if (signal?.aborted) throw new WorkbenchError('cancelled', `conversion of ${checkpointDir} was cancelled ${where}`)
  }

  onProgress?.({ phase: 'fingerprint', fraction: 0, message: 'checking the conversion cache' })
  const fingerprint = await checkpointFingerprint(checkpointDir)
  const idx = indexPath(root, fingerprint)
  const hit = findCachedExport(fingerprint)
  if (hit) {
    lap('lookup')
    return { ...hit, work: 'none', timingsMs }
  }
  lap('lookup')
  aborted('before reading')

  onProgress?.({ phase: 'read', fraction: 0.05, message: `reading ${checkpointDir}` })
  // streamed where the format allows: the weights are checked, hashed, probed and copied from
  // the file through small buffers instead of being held in memory (streamed-checkpoint.ts); the
  // readers load only on a miss, so a cached open (and `info`) does not pay for loading them
  const { readCheckpointStreamed } = await import('../streamed-checkpoint')
  const ckpt = await readCheckpointStreamed(checkpointDir, { signal })
  try {
    return await convertRead(ckpt, root, idx, fingerprint, { aborted, lap, onProgress, timingsMs })
  } finally {
    await ckpt.stream?.close()
  }
}

async function convertRead(
  ckpt: StreamedCheckpoint,
  root: string,
  idx: string,
  fingerprint: string,
  ctx: {
    aborted: (where: string) => void
    lap: (name: string) => void
    onProgress?: (p: ConversionProgress) => void
    timingsMs: Record<string, number>
  },
): Promise<CachedExport> {
  const { aborted, lap, onProgress, timingsMs } = ctx
  const checkpointDir = ckpt.dir
  lap('read')
  aborted('after reading')
  const dir = join(root, ckpt.contentHash)
  let manifest = tryManifest(dir, ckpt.contentHash)
  let work: CachedExport['work'] = 'hashed'
  if (!manifest) {
    onProgress?.({ phase: 'convert', fraction: 0.35, message: 'probing the forward pass for float32 overflow' })
    const { forwardProbe } = await import('../forward-probe')
    const verdict = forwardProbe(ckpt.stream?.probeWeights() ?? ckpt, () => aborted('while probing'))
    createFolder(root)
    const tmp = join(root, `.tmp-${ckpt.contentHash.slice(0, 16)}-${process.pid}-${randomBytes(4).toString('hex')}`)
    mkdirSync(tmp)
    try {
      // the graph builder (protobuf) loads only when a conversion is needed
      const { writeOnnxExport } = await import('./write-onnx-export')
      manifest = await writeOnnxExport(ckpt, tmp, ckpt.contentHash, {
        source: ckpt.stream?.source,
        checkAbort: () => aborted('while converting'),
        onProgress: (fraction, message) => onProgress?.({ phase: 'convert', fraction: 0.4 + 0.6 * fraction, message }),
      })
      manifest = recordProbeVerdict(tmp, manifest, verdict)
      aborted('while converting')
      await ckpt.stream?.close(true) // what was checked and hashed is what was copied
    } catch (e) {
      rmSync(tmp, { recursive: true, force: true })
      throw e
    }
    const raced = tryManifest(dir, ckpt.contentHash) // another process finished the same conversion meanwhile
    if (raced) {
      rmSync(tmp, { recursive: true, force: true })
      manifest = raced
    } else {
      if (existsSync(dir)) rmSync(dir, { recursive: true, force: true }) // a broken or stale entry
      try {
        renameSync(tmp, dir)
      } catch (e) {
        rmSync(tmp, { recursive: true, force: true })
        const late = tryManifest(dir, ckpt.contentHash)
        if (!late) throw new WorkbenchError('internal', `could not move the conversion into ${dir}: ${(e as Error).message}`, { cause: e })
        manifest = late
      }
    }
    work = 'converted'
    lap('convert')
  }
  createFolder(join(root, 'fingerprints'))
  writeAtomic(idx, JSON.stringify({ fingerprint, contentHash: ckpt.contentHash, checkpointDir }) + '\n')
  onProgress?.({ phase: 'done', fraction: 1, message: 'conversion cached' })
  return { dir, manifest, work, timingsMs }
}

/**
 * The cached export of a checkpoint directory found through the fingerprint index alone (no
 * reading, no hashing), or null when this exact directory state has not been converted.
 */
export function findCachedExport(fingerprint: string): { dir: string; manifest: OnnxManifest } | null {
  const root = onnxCacheRoot()
  const idx = indexPath(root, fingerprint)
  if (!existsSync(idx)) return null
  try {
    const entry = JSON.parse(readFileSync(idx, 'utf8')) as { fingerprint: string; contentHash: string }
    if (entry.fingerprint !== fingerprint || !/^[0-9a-f]+$/.test(entry.contentHash)) return null
    const dir = join(root, entry.contentHash)
    const manifest = tryManifest(dir, entry.contentHash)
    return manifest ? { dir, manifest } : null
  } catch {
    return null
  }
}
