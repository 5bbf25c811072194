import { WorkbenchError } from '../../shared/errors'
import type { BackpackConfig } from '../../shared/model/config'
import { expectedTensorShapes } from './backpack-config'
import { decodeToFloat32 } from './raw-tensor'
import type { RawTensor } from './raw-tensor'

export interface CheckpointTensor {
  shape: number[]
  data: Float32Array
}

/**
 * From the raw tensors of any format to the canonical state dict (backpack-spec.md §2.2):
 * GPT-2 mask buffers dropped (anchored pattern: `c_attn.bias` is a real weight), tied aliases
 * of E and P verified equal and dropped, every expected key and shape checked, weights decoded
 * to fp32 and checked finite (unless `checkValues` is false: the streaming conversion checks
 * them itself, chunk by chunk).
 */

/** The HF GPT-2 attention buffers (causal mask and -1e4 scalar); not weights. */
export const MASK_BUFFER = /^backpack\.gpt2_model\.h\.\d+\.attn\.(bias|masked_bias)$/

const WTE = 'backpack.gpt2_model.wte.weight'
const WPE = 'backpack.gpt2_model.wpe.weight'
/** Canonical name → names that must hold the same tensor (spec §2.2 tied sets). */
export const ALIASES: ReadonlyArray<[string, string[]]> = [
  [WTE, ['backpack.word_embeddings.weight', 'lm_head.weight']],
  [WPE, ['backpack.position_embeddings.weight']],
]

const fmt = (shape: readonly number[]): string => `[${shape.join(', ')}]`

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i])
}

export function canonicalTensors(
  raw: RawTensor[],
  config: BackpackConfig,
  checkAbort: () => void = () => {},
  options: { checkValues?: boolean } = {},
): Map<string, CheckpointTensor> {
  const expected = expectedTensorShapes(config)
  const byName = new Map<string, RawTensor>()
  for (const t of raw) {
    if (MASK_BUFFER.test(t.name)) continue
    const prior = byName.get(t.name)
    if (prior) throw new WorkbenchError('checkpoint-format', `tensor ${t.name} appears twice (in ${prior.file} and ${t.file})`)
    byName.set(t.name, t)
  }

  // Resolve the tied sets: any one name may carry the tensor; all present ones must agree.
  const chosen = new Map<string, RawTensor>()
  const decoded = new Map<RawTensor, Float32Array>()
  const decode = (t: RawTensor): Float32Array => {
    let d = decoded.get(t)
    if (!d) {
      checkAbort()
      d = decodeToFloat32(t)
      decoded.set(t, d)
    }
    return d
  }
  for (const [canonical, aliases] of ALIASES) {
    const want = expected.get(canonical)!
    const present = [canonical, ...aliases].flatMap((n) => byName.get(n) ?? [])
    for (const t of present) {
      if (!sameShape(t.shape, want)) {
        throw new WorkbenchError(
          'checkpoint-shape',
          `tensor ${t.name} has shape ${fmt(t.shape)}, expected ${fmt(want)} (tied to ${canonical}; from config.json)`,
        )
      }
      byName.delete(t.name)
    }
    if (present.length === 0) continue // reported as missing below
    const first = present[0]
    chosen.set(canonical, first)
    for (const other of present.slice(1)) {
      const n = other.name
      if (other.identity === first.identity) continue // shared torch storage: read once
      const a = decode(first)
      const b = decode(other)
      for (let i = 0; i < a.length; i++) {
        if (a[i] !== b[i] && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) {
          const untiedHead = n === 'lm_head.weight'
          throw new WorkbenchError(
            'checkpoint-config',
            `tensor ${n} differs from ${first.name} at element ${i} (${b[i]} vs ${a[i]}): ` +
              (untiedHead
                ? 'an untied lm_head is not Backpack-GPT2, whose output embedding is tied to the word embeddings E (backpack-spec.md §2.2)'
                : `these are the same tied tensor in Backpack-GPT2 (backpack-spec.md §2.2)`),
          )
        }
      }
    }
  }

  const unknown = [...byName.keys()].filter((n) => !expected.has(n))
  if (unknown.length > 0) {
    const hint = unknown.some((n) => /^(transformer\.|h\.\d|wte\.)/.test(n))
      ? ' (these are plain GPT-2 names: this is not a Backpack checkpoint)'
      : ''
    throw new WorkbenchError(
      'checkpoint-shape',
      `${unknown.length} unexpected tensor(s) for Backpack-GPT2: ${unknown.slice(0, 5).join(', ')}${unknown.length > 5 ? ', …' : ''}${hint}`,
    )
  }
  for (const [name, t] of byName) chosen.set(name, t)

  const out = new Map<string, CheckpointTensor>()
  for (const [name, want] of expected) {
    const t = chosen.get(name)
    if (!t) {
      throw new WorkbenchError('checkpoint-shape', `tensor ${name} is missing (expected shape ${fmt(want)} from config.json)`)
    }
    if (!sameShape(t.shape, want)) {
      throw new WorkbenchError('checkpoint-shape', `tensor ${name} has shape ${fmt(t.shape)}, expected ${fmt(want)} (from config.json)`)
    }
    const data = decode(t)
    if (options.checkValues !== false) checkFinite(name, data)
    out.set(name, { shape: [...want], data })
  }
  return out
}

/** Throws `checkpoint-values` at the first NaN or ±Inf; `first` is the flat index of `data[0]` in the tensor. */
export function checkFinite(name: string, data: Float32Array, first = 0): void {
  // NaN and ±Inf are exactly the fp32 patterns with all exponent bits set (faster than x - x)
  const bits = new Uint32Array(data.buffer, data.byteOffset, data.length)
  for (let i = 0; i < bits.length; i++) {
    if ((bits[i] & 0x7f800000) === 0x7f800000) {
      throw new WorkbenchError('checkpoint-values', `tensor ${name} holds ${data[i]} at flat index ${first + i}; weights must be finite`)
    }
  }
}

/** The tensors of the sense network's last projection: C(x) is linear in them. */
export const SENSE_OUTPUT_TENSORS = [
  'backpack.sense_network.final_mlp.c_proj.weight',
  'backpack.sense_network.final_mlp.c_proj.bias',
] as const

/**
 * Folds a factor on the sense sum into the sense vectors: logits = E · scale · Σ α·C(x) equals
 * E · Σ α·(scale·C(x)), and C(x) = W·g(x) + b is linear in the last projection, so scaling W and
 * b gives the HF-layout state dict of the same function. Everything downstream — the ONNX export,
 * the float64 parity reference, attribution, edits, the blast radius and fine-tuning's gradients —
 * then sees the sense vectors as the sum uses them, with no factor of its own to remember.
 */
export function foldSenseSumScale(tensors: Map<string, CheckpointTensor>, scale: number): void {
  if (scale === 1) return
  for (const name of SENSE_OUTPUT_TENSORS) {
    const t = tensors.get(name)!
    const data = new Float32Array(t.data.length)
    for (let i = 0; i < data.length; i++) data[i] = t.data[i] * scale
    tensors.set(name, { shape: t.shape, data })
  }
}
