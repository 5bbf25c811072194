import { WorkbenchError } from '../../shared/errors'
import { ensureOnnxExport } from '../../main/checkpoint/onnx/onnx-cache'
import { resolveModelSource } from '../../main/runtime/model-source'
import { parseFlags, type CliCommand } from '../cli-command'

/**
 * `convert [--checkpoint DIR]`: converts the checkpoint to the ONNX export in the cache (or finds
 * it there) and prints `{ contentHash, exportDir, work, timingsMs, … }`. Progress goes to stderr
 * on a terminal only.
 */
export const convert: CliCommand = {
  async run(args, io) {
    const { values } = parseFlags(args, {
      checkpoint: { type: 'string', description: 'checkpoint directory (Hugging Face layout)', defaultText: 'the bundled demo model' },
    })
    const source = resolveModelSource(values)
    if (!('checkpointDir' in source)) throw new WorkbenchError('bad-request', `${source.onnxDir} is already an ONNX export`)
    const t0 = performance.now()
    const r = await ensureOnnxExport(source.checkpointDir, {
      onProgress: io.stderr.isTTY ? (p) => io.stderr.write(`\r\x1b[2K${p.phase} ${Math.round(p.fraction * 100)}% ${p.message}`) : undefined,
    })
    if (io.stderr.isTTY) io.stderr.write('\n')
    return {
      checkpoint: source.checkpointDir,
      contentHash: r.manifest.contentHash,
      exportDir: r.dir,
      work: r.work,
      parameterCount: r.manifest.parameterCount,
      timingsMs: { ...r.timingsMs, total: Math.round(performance.now() - t0) },
    }
  },
}
