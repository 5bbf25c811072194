import { stat } from 'node:fs/promises'
import { endianness } from 'node:os'
import { join } from 'node:path'
import { WorkbenchError } from '../../shared/errors'
import type { BackpackConfig } from '../../shared/model/config'
import { checkpointLayout, parseBackpackConfig, senseSumScale, type CheckpointLayout } from './backpack-config'
import { canonicalTensors, foldSenseSumScale } from './canonical-tensors'
import type { CheckpointTensor } from './canonical-tensors'
import { contentHash } from './content-hash'
import type { RawTensor } from './raw-tensor'
import { isRegularFile, readFileBytes, throwIfAborted } from './read-file-bytes'
import { readSafetensors } from './safetensors'
import { isLegacyTorch, readTorchLegacy } from './torch-legacy'
import { readTorchZip } from './torch-zip'

export type { CheckpointTensor } from './canonical-tensors'
export { checkpointFingerprint } from './checkpoint-fingerprint'

export type CheckpointFormat = 'pytorch-zip' | 'pytorch-legacy' | 'safetensors' | 'safetensors-sharded'

export interface LoadedCheckpoint {
  dir: string
  format: CheckpointFormat
  /** The weight files read, relative to `dir` (several for sharded checkpoints). */
  files: string[]
  config: BackpackConfig
  rawConfig: Record<string, unknown>
  /** 'levanter' (model_type "backpack-gpt2"): its 1/k on the sense sum is folded into `tensors` */
  layout: CheckpointLayout
  /**
   * Canonical names (backpack-spec.md §2.2), mask buffers dropped, tied copies verified and
   * dropped; for a Levanter checkpoint the sense network's last projection is scaled by 1/k, so
   * these are the HF-layout weights of the same function.
   */
  tensors: Map<string, CheckpointTensor>
  /** sha256 hex over the canonical tensors (as folded) and the math-relevant config fields. */
  contentHash: string
}

const MAX_JSON_BYTES = 16 * 1024 * 1024

async function readJson(path: string, code: 'checkpoint-config' | 'checkpoint-format'): Promise<unknown> {
  const bytes = await readFileBytes(path, undefined, { maxBytes: MAX_JSON_BYTES, code })
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes))
  } catch (e) {
    throw new WorkbenchError(code, `${path} is not valid UTF-8 JSON: ${e instanceof Error ? e.message : String(e)}`, { cause: e })
  }
}

/** Reads one weight file of any supported kind; the name says which. */
async function readWeightFile(dir: string, name: string, signal?: AbortSignal): Promise<{ tensors: RawTensor[]; legacy: boolean }> {
  const data = await readFileBytes(join(dir, name), signal)
  throwIfAborted(signal, `reading ${name}`)
  if (name.endsWith('.safetensors')) return { tensors: readSafetensors(data, name), legacy: false }
  if (isLegacyTorch(data)) return { tensors: readTorchLegacy(data, name), legacy: true }
  if (data.length >= 4 && data[0] === 0x50 && data[1] === 0x4b) return { tensors: readTorchZip(data, name), legacy: false }
  throw new WorkbenchError(
    'checkpoint-format',
    `${name} is neither a torch zip checkpoint nor a legacy torch pickle (first bytes ${[...data.subarray(0, 4)].map((b) => b.toString(16).padStart(2, '0')).join(' ')})`,
  )
}

/** Shard file names from an HF `*.index.json`; each tensor must then come from its listed shard. */
function parseIndex(index: unknown, name: string): Map<string, string> {
  const fail = (msg: string): never => {
    throw new WorkbenchError('checkpoint-format', `${name}: ${msg}`)
  }
  if (typeof index !== 'object' || index === null) fail('not a JSON object')
  const wm = (index as Record<string, unknown>).weight_map
  if (typeof wm !== 'object' || wm === null || Array.isArray(wm)) fail('"weight_map" must map tensor names to shard file names')
  const map = new Map<string, string>()
  for (const [tensor, file] of Object.entries(wm as Record<string, unknown>)) {
    if (typeof file !== 'string' || !/^[\w][\w.-]*$/.test(file) || file.includes('..')) {
      fail(`shard file name ${JSON.stringify(file)} for ${tensor} must be a plain file name in the checkpoint directory`)
    }
    map.set(tensor, file as string)
  }
  if (map.size === 0) fail('"weight_map" is empty')
  return map
}

async function readSharded(
  dir: string,
  indexName: string,
  signal?: AbortSignal,
): Promise<{ tensors: RawTensor[]; files: string[]; legacy: boolean }> {
  const weightMap = parseIndex(await readJson(join(dir, indexName), 'checkpoint-format'), indexName)
  const files = [...new Set(weightMap.values())].sort()
  const tensors: RawTensor[] = []
  let legacy = false
  for (const file of files) {
    if (!(await isRegularFile(join(dir, file), 'checkpoint-format')))
      throw new WorkbenchError('not-found', `${indexName} lists shard ${file}, which is not in ${dir}`)
    const shard = await readWeightFile(dir, file, signal)
    legacy ||= shard.legacy
    for (const t of shard.tensors) {
      if (weightMap.get(t.name) !== file) {
        throw new WorkbenchError(
          'checkpoint-format',
          `${file} holds tensor ${t.name}, but ${indexName} places it in ${weightMap.get(t.name) ?? 'no shard'}`,
        )
      }
    }
    tensors.push(...shard.tensors)
  }
  const found = new Set(tensors.map((t) => t.name))
  for (const [name, file] of weightMap) {
    if (!found.has(name))
      throw new WorkbenchError('checkpoint-format', `${indexName} places tensor ${name} in ${file}, but it is not there`)
  }
  return { tensors, files, legacy }
}

/**
 * Reads an HF Backpack-GPT2 checkpoint directory: config.json plus model.safetensors,
 * model.safetensors.index.json (sharded), pytorch_model.bin (torch zip or legacy) or
 * pytorch_model.bin.index.json, in that order of preference.
 */
export async function readCheckpoint(dir: string, options?: { signal?: AbortSignal }): Promise<LoadedCheckpoint> {
  const signal = options?.signal
  if (endianness() !== 'LE') throw new WorkbenchError('internal', 'checkpoint reading needs a little-endian machine')
  try {
    if (!(await stat(dir)).isDirectory()) throw new Error('not a directory')
  } catch (e) {
    throw new WorkbenchError('not-found', `checkpoint directory ${dir} does not exist or is not a directory`, { cause: e })
  }
  const configPath = join(dir, 'config.json')
  if (!(await isRegularFile(configPath, 'checkpoint-config')))
    throw new WorkbenchError(
      'checkpoint-config',
      `${dir} has no config.json (a Backpack-GPT2 checkpoint directory holds config.json and the weights)`,
    )
  const rawConfig = await readJson(configPath, 'checkpoint-config')
  const config = parseBackpackConfig(rawConfig)

  let format: CheckpointFormat
  let files: string[]
  let raw: RawTensor[]
  if (await isRegularFile(join(dir, 'model.safetensors'), 'checkpoint-format')) {
    format = 'safetensors'
    files = ['model.safetensors']
    raw = (await readWeightFile(dir, files[0], signal)).tensors
  } else if (await isRegularFile(join(dir, 'model.safetensors.index.json'), 'checkpoint-format')) {
    format = 'safetensors-sharded'
    ;({ tensors: raw, files } = await readSharded(dir, 'model.safetensors.index.json', signal))
  } else if (await isRegularFile(join(dir, 'pytorch_model.bin'), 'checkpoint-format')) {
    files = ['pytorch_model.bin']
    const r = await readWeightFile(dir, files[0], signal)
    raw = r.tensors
    format = r.legacy ? 'pytorch-legacy' : 'pytorch-zip'
  } else if (await isRegularFile(join(dir, 'pytorch_model.bin.index.json'), 'checkpoint-format')) {
    const r = await readSharded(dir, 'pytorch_model.bin.index.json', signal)
    raw = r.tensors
    files = r.files
    format = r.legacy ? 'pytorch-legacy' : 'pytorch-zip'
  } else {
    throw new WorkbenchError(
      'not-found',
      `${dir} has no weights: expected model.safetensors, model.safetensors.index.json, pytorch_model.bin or pytorch_model.bin.index.json`,
    )
  }
  throwIfAborted(signal, `reading ${dir}`)
  const tensors = canonicalTensors(raw, config, () => throwIfAborted(signal, `reading ${dir}`))
  const layout = checkpointLayout(rawConfig)
  foldSenseSumScale(tensors, senseSumScale(layout, config))
  throwIfAborted(signal, `reading ${dir}`)
  return {
    dir,
    format,
    layout,
    files,
    config,
    rawConfig: rawConfig as Record<string, unknown>,
    tensors,
    contentHash: contentHash(tensors, config),
  }
}
