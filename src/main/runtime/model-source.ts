import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { WorkbenchError } from '../../shared/errors'
import { MANIFEST_FILE } from '../checkpoint/onnx/onnx-manifest'
import { resolveCheckpointDir } from '../paths/app-paths'

/** What to open: an HF checkpoint directory or a ready ONNX export directory. */
export type ModelSource = { checkpointDir: string } | { onnxDir: string }

/**
 * Resolves the `--checkpoint` / `--onnx` flags of the CLI (and the app's open dialog): a
 * directory holding our manifest.json is an ONNX export even when passed as --checkpoint;
 * no flag means the bundled demo checkpoint (or a `checkpoint-missing` error).
 */
export function resolveModelSource(flags: { checkpoint?: string; onnx?: string }): ModelSource {
  if (flags.checkpoint && flags.onnx) throw new WorkbenchError('bad-request', 'give --checkpoint DIR or --onnx DIR, not both')
  if (flags.onnx) return { onnxDir: resolve(flags.onnx) }
  const dir = resolveCheckpointDir(flags.checkpoint)
  if (!existsSync(dir)) throw new WorkbenchError('not-found', `checkpoint directory ${dir} does not exist`)
  if (existsSync(join(dir, MANIFEST_FILE)) && !existsSync(join(dir, 'config.json'))) return { onnxDir: dir }
  return { checkpointDir: dir }
}
