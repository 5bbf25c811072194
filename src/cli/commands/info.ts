import { join } from 'node:path'
import { findCachedExport, onnxCacheRoot } from '../../main/checkpoint/onnx/onnx-cache'
import { parameterCount, readManifest } from '../../main/checkpoint/onnx/onnx-manifest'
import { checkpointFingerprint } from '../../main/checkpoint/checkpoint-fingerprint'
import { resolveModelSource } from '../../main/runtime/model-source'
import { runtimeInfo } from '../../main/runtime/runtime-info'
import { parseFlags, type CliCommand } from '../cli-command'
import { ENGINE_FLAGS } from './engine-flags'

/**
 * `info [--checkpoint DIR | --onnx DIR]`: config, parameter count, content hash, where the
 * conversion is (or would be) cached, and the execution providers of this onnxruntime build.
 * Never converts; an unchanged, already converted checkpoint is not even read.
 */
export const info: CliCommand = {
  async run(args) {
    const { values } = parseFlags(args, { checkpoint: ENGINE_FLAGS.checkpoint, onnx: ENGINE_FLAGS.onnx })
    const source = resolveModelSource(values)
    // onnxruntime loads in an engine worker only: started first, it loads while this thread reads the cache
    const runtime = runtimeInfo()
    runtime.catch(() => {}) // awaited below; a checkpoint error first must not leave it unhandled
    const providers = async () => {
      const { onnxruntime, backends } = await runtime
      return { onnxruntime, available: backends.filter((b) => b.bundled).map((b) => b.name), known: backends }
    }
    if ('onnxDir' in source) {
      const m = readManifest(source.onnxDir)
      return {
        onnx: source.onnxDir,
        config: m.config,
        parameterCount: m.parameterCount,
        contentHash: m.contentHash,
        cache: { exportDir: source.onnxDir, converted: true },
        providers: await providers(),
      }
    }
    const hit = findCachedExport(await checkpointFingerprint(source.checkpointDir))
    if (hit) {
      const m = hit.manifest
      return {
        checkpoint: source.checkpointDir,
        config: m.config,
        parameterCount: m.parameterCount,
        contentHash: m.contentHash,
        cache: { exportDir: hit.dir, converted: true },
        providers: await providers(),
      }
    }
    const { readCheckpoint } = await import('../../main/checkpoint/read-checkpoint') // the readers load only on a miss
    const ckpt = await readCheckpoint(source.checkpointDir)
    const exportDir = join(onnxCacheRoot(), ckpt.contentHash)
    let converted = false
    try {
      converted = readManifest(exportDir).contentHash === ckpt.contentHash
    } catch {
      converted = false
    }
    return {
      checkpoint: source.checkpointDir,
      format: ckpt.format,
      config: ckpt.config,
      parameterCount: parameterCount(ckpt),
      contentHash: ckpt.contentHash,
      cache: { exportDir, converted },
      providers: await providers(),
    }
  },
}
