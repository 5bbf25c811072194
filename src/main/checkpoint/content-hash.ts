import { createHash, type Hash } from 'node:crypto'
import type { BackpackConfig } from '../../shared/model/config'
import { mathConfigFields } from './backpack-config'
import type { CheckpointTensor } from './canonical-tensors'

/**
 * sha256 over the canonical tensors sorted by name (name, shape, fp32 little-endian bytes) and
 * the config fields that change the math. Independent of the file format and of tied aliases, so
 * the same weights in .bin and .safetensors hash alike.
 */
export function contentHash(tensors: Map<string, CheckpointTensor>, config: BackpackConfig): string {
  const h = contentHasher(config)
  for (const name of [...tensors.keys()].sort()) {
    const t = tensors.get(name)!
    h.update(tensorHashHeader(name, t.shape))
    h.update(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength))
  }
  return h.digest('hex')
}

/** The hash with the config in it; then, per tensor in name order, `tensorHashHeader` and its bytes. */
export function contentHasher(config: BackpackConfig): Hash {
  return createHash('sha256').update(`backpack-content-v1\0${JSON.stringify(mathConfigFields(config))}\0`)
}

export function tensorHashHeader(name: string, shape: readonly number[]): string {
  return `${name}\0${shape.join(',')}\0`
}
