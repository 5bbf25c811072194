import { WorkbenchError } from '../../shared/errors'
import type { BackpackConfig } from '../../shared/model/config'

/**
 * Reads the HF `config.json` of a Backpack-GPT2 checkpoint (backpack-spec.md §1.1) and refuses
 * anything that is not that architecture: plain GPT-2 (no `num_senses`), other activations.
 * Levanter exports (`model_type: "backpack-gpt2"`, the same weight names) are the same network
 * except that they divide the sense sum by k; `senseSumScale` says by how much, and reading folds
 * it into the weights (read-checkpoint.ts).
 */

type Json = Record<string, unknown>

/** The model_type of Levanter's Backpack exports. */
export const LEVANTER_MODEL_TYPE = 'backpack-gpt2'

/** The layout of the checkpoint's sense sum: HF's plain sum, or Levanter's sum divided by k. */
export type CheckpointLayout = 'hf' | 'levanter'

export function checkpointLayout(rawConfig: unknown): CheckpointLayout {
  return (rawConfig as Json | null)?.model_type === LEVANTER_MODEL_TYPE ? 'levanter' : 'hf'
}

/** The factor on Σ_ℓ Σ_j α·C(x_j)_ℓ: 1 for HF Backpacks, 1/k for Levanter's. */
export function senseSumScale(layout: CheckpointLayout, config: BackpackConfig): number {
  return layout === 'levanter' ? 1 / config.numSenses : 1
}

const LIMITS = {
  vocabSize: 1 << 20,
  nEmbd: 1 << 15,
  nHead: 1 << 10,
  nLayer: 1 << 10,
  nPositions: 1 << 16,
  nInner: 1 << 17,
  numSenses: 1 << 10,
  senseIntermediateScale: 64,
} as const

function configError(message: string): WorkbenchError {
  return new WorkbenchError('checkpoint-config', `config.json: ${message}`)
}

function requireInt(cfg: Json, key: string, max: number): number {
  if (!(key in cfg)) throw configError(`missing key "${key}" (a Backpack-GPT2 config.json has it; see backpack-spec.md §1.1)`)
  const v = cfg[key]
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > max) {
    throw configError(`"${key}" must be an integer in [1, ${max}], got ${JSON.stringify(v)}`)
  }
  return v
}

function optionalInt(cfg: Json, key: string, fallback: number, max: number): number {
  if (cfg[key] === undefined || cfg[key] === null) return fallback
  return requireInt(cfg, key, max)
}

function optionalBool(cfg: Json, key: string, fallback: boolean): boolean {
  const v = cfg[key]
  if (v === undefined || v === null) return fallback
  if (typeof v !== 'boolean') throw configError(`"${key}" must be true or false, got ${JSON.stringify(v)}`)
  return v
}

function refuseNonBackpack(cfg: Json): void {
  if (cfg.model_type !== undefined && cfg.model_type !== 'gpt2' && cfg.model_type !== LEVANTER_MODEL_TYPE) {
    throw configError(
      `model_type ${JSON.stringify(cfg.model_type)} is not a Backpack-GPT2 config (expected "gpt2" with num_senses, or Levanter's "${LEVANTER_MODEL_TYPE}")`,
    )
  }
  const arch = cfg.architectures
  if (arch !== undefined && arch !== null) {
    if (!Array.isArray(arch) || !arch.every((a) => typeof a === 'string')) {
      throw configError('"architectures" must be a list of strings')
    }
    if (arch.length > 0 && !arch.some((a: string) => a.startsWith('Backpack'))) {
      throw configError(
        `architectures ${JSON.stringify(arch)} names no Backpack model: this looks like a plain GPT-2 checkpoint, ` +
          'which has no sense network; expected ["BackpackGPT2LMHeadModel"]',
      )
    }
  }
  if (!('num_senses' in cfg)) {
    throw configError(
      'missing key "num_senses": this is a plain GPT-2 config, not a Backpack (a Backpack config has ' +
        'num_senses and sense_intermediate_scale; see backpack-spec.md §1.1)',
    )
  }
  const act = cfg.activation_function
  if (act !== undefined && act !== null && act !== 'gelu_new') {
    throw configError(`activation_function ${JSON.stringify(act)} is not supported; Backpack-GPT2 uses "gelu_new"`)
  }
}

/** Parses and validates a Backpack-GPT2 config.json (already JSON-decoded). */
export function parseBackpackConfig(json: unknown): BackpackConfig {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw configError('must be a JSON object')
  }
  const cfg = json as Json
  refuseNonBackpack(cfg)
  const nEmbd = requireInt(cfg, 'n_embd', LIMITS.nEmbd)
  const nHead = requireInt(cfg, 'n_head', LIMITS.nHead)
  const numSenses = requireInt(cfg, 'num_senses', LIMITS.numSenses)
  if (nEmbd % nHead !== 0) throw configError(`n_embd (${nEmbd}) must be divisible by n_head (${nHead})`)
  if (nEmbd % numSenses !== 0) throw configError(`n_embd (${nEmbd}) must be divisible by num_senses (${numSenses})`)
  const eps = cfg.layer_norm_epsilon ?? 1e-5
  if (typeof eps !== 'number' || !(eps > 0 && eps < 1)) {
    throw configError(`"layer_norm_epsilon" must be a number in (0, 1), got ${JSON.stringify(eps)}`)
  }
  const vocabSize = requireInt(cfg, 'vocab_size', LIMITS.vocabSize)
  return {
    vocabSize,
    nEmbd,
    nHead,
    nLayer: requireInt(cfg, 'n_layer', LIMITS.nLayer),
    nPositions: requireInt(cfg, 'n_positions', LIMITS.nPositions),
    nInner: optionalInt(cfg, 'n_inner', 4 * nEmbd, LIMITS.nInner),
    numSenses,
    senseIntermediateScale: requireInt(cfg, 'sense_intermediate_scale', LIMITS.senseIntermediateScale),
    layerNormEpsilon: eps,
    // BackpackGPT2Config changes GPT-2's default for this one to true (backpack-spec.md §1.1)
    scaleAttnByInverseLayerIdx: optionalBool(cfg, 'scale_attn_by_inverse_layer_idx', true),
    scaleAttnWeights: optionalBool(cfg, 'scale_attn_weights', true),
    bosTokenId: optionalTokenId(cfg, 'bos_token_id'),
    eosTokenId: optionalTokenId(cfg, 'eos_token_id'),
  }
}

/** Tiny test checkpoints keep GPT-2's 50256 even when their vocabulary is smaller: not bounded by V. */
function optionalTokenId(cfg: Json, key: string): number {
  const v = cfg[key] ?? 50256
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > LIMITS.vocabSize) {
    throw configError(`"${key}" must be an integer in [0, ${LIMITS.vocabSize}], got ${JSON.stringify(v)}`)
  }
  return v
}

/** The config fields that change the forward pass; part of the checkpoint's content hash. */
export function mathConfigFields(c: BackpackConfig): Record<string, number | boolean> {
  return {
    vocabSize: c.vocabSize,
    nEmbd: c.nEmbd,
    nHead: c.nHead,
    nLayer: c.nLayer,
    nPositions: c.nPositions,
    nInner: c.nInner,
    numSenses: c.numSenses,
    senseIntermediateScale: c.senseIntermediateScale,
    layerNormEpsilon: c.layerNormEpsilon,
    scaleAttnByInverseLayerIdx: c.scaleAttnByInverseLayerIdx,
    scaleAttnWeights: c.scaleAttnWeights,
  }
}

/** Canonical tensor name → shape, in state-dict order (backpack-spec.md §2.2, aliases excluded). */
export function expectedTensorShapes(config: BackpackConfig): Map<string, number[]> {
  const { vocabSize: V, nEmbd: d, nInner, nLayer, nPositions, numSenses: k, senseIntermediateScale: s } = config
  const m = new Map<string, number[]>()
  const g = 'backpack.gpt2_model'
  m.set(`${g}.wte.weight`, [V, d])
  m.set(`${g}.wpe.weight`, [nPositions, d])
  for (let i = 0; i < nLayer; i++) {
    const h = `${g}.h.${i}`
    m.set(`${h}.ln_1.weight`, [d])
    m.set(`${h}.ln_1.bias`, [d])
    m.set(`${h}.attn.c_attn.weight`, [d, 3 * d])
    m.set(`${h}.attn.c_attn.bias`, [3 * d])
    m.set(`${h}.attn.c_proj.weight`, [d, d])
    m.set(`${h}.attn.c_proj.bias`, [d])
    m.set(`${h}.ln_2.weight`, [d])
    m.set(`${h}.ln_2.bias`, [d])
    m.set(`${h}.mlp.c_fc.weight`, [d, nInner])
    m.set(`${h}.mlp.c_fc.bias`, [nInner])
    m.set(`${h}.mlp.c_proj.weight`, [nInner, d])
    m.set(`${h}.mlp.c_proj.bias`, [d])
  }
  m.set(`${g}.ln_f.weight`, [d])
  m.set(`${g}.ln_f.bias`, [d])
  const sn = 'backpack.sense_network'
  m.set(`${sn}.block.ln_1.weight`, [d])
  m.set(`${sn}.block.ln_1.bias`, [d])
  m.set(`${sn}.block.ln_2.weight`, [d])
  m.set(`${sn}.block.ln_2.bias`, [d])
  // the sense block's MLP is GPT-2's default width 4·d (BackpackNoMixBlock builds GPT2MLP(4·d))
  m.set(`${sn}.block.mlp.c_fc.weight`, [d, 4 * d])
  m.set(`${sn}.block.mlp.c_fc.bias`, [4 * d])
  m.set(`${sn}.block.mlp.c_proj.weight`, [4 * d, d])
  m.set(`${sn}.block.mlp.c_proj.bias`, [d])
  m.set(`${sn}.ln.weight`, [d])
  m.set(`${sn}.ln.bias`, [d])
  m.set(`${sn}.final_mlp.c_fc.weight`, [d, s * d])
  m.set(`${sn}.final_mlp.c_fc.bias`, [s * d])
  m.set(`${sn}.final_mlp.c_proj.weight`, [s * d, k * d])
  m.set(`${sn}.final_mlp.c_proj.bias`, [k * d])
  m.set('backpack.sense_weight_net.c_attn.weight', [2 * d, d])
  m.set('backpack.sense_weight_net.c_attn.bias', [2 * d])
  return m
}
