import { describe, expect, it } from 'vitest'
import { WorkbenchError } from '../../../src/shared/errors'
import { expectedTensorShapes, parseBackpackConfig } from '../../../src/main/checkpoint/backpack-config'

// config.json of stanfordnlp/backpack-gpt2 on HF main (backpack-spec.md §1.1)
const HF_CONFIG = {
  activation_function: 'gelu_new',
  architectures: ['BackpackGPT2LMHeadModel'],
  attn_pdrop: 0.1,
  auto_map: {
    AutoConfig: 'configuration_backpack_gpt2.BackpackGPT2Config',
    AutoModelForCausalLM: 'modeling_backpack_gpt2.BackpackGPT2LMHeadModel',
  },
  bos_token_id: 50256,
  embd_pdrop: 0.1,
  eos_token_id: 50256,
  initializer_range: 0.02,
  layer_norm_epsilon: 1e-5,
  model_type: 'gpt2',
  n_embd: 768,
  n_head: 12,
  n_inner: null,
  n_layer: 12,
  n_positions: 512,
  num_senses: 16,
  reorder_and_upcast_attn: false,
  resid_pdrop: 0.1,
  scale_attn_by_inverse_layer_idx: true,
  scale_attn_weights: true,
  sense_intermediate_scale: 4,
  summary_activation: null,
  summary_first_dropout: 0.1,
  summary_proj_to_labels: true,
  summary_type: 'cls_index',
  summary_use_proj: true,
  transformers_version: '4.29.0.dev0',
  use_cache: true,
  vocab_size: 50264,
}

function codeOf(json: unknown): string {
  try {
    parseBackpackConfig(json)
  } catch (e) {
    if (e instanceof WorkbenchError) return e.code
    throw e
  }
  return 'accepted'
}

describe('parseBackpackConfig', () => {
  it('reads the HF config with n_inner null → 4·d', () => {
    expect(parseBackpackConfig(HF_CONFIG)).toEqual({
      vocabSize: 50264,
      nEmbd: 768,
      nHead: 12,
      nLayer: 12,
      nPositions: 512,
      nInner: 3072,
      numSenses: 16,
      senseIntermediateScale: 4,
      layerNormEpsilon: 1e-5,
      scaleAttnByInverseLayerIdx: true,
      scaleAttnWeights: true,
      bosTokenId: 50256,
      eosTokenId: 50256,
    })
  })

  it.each(['n_embd', 'n_head', 'n_layer', 'n_positions', 'vocab_size', 'num_senses', 'sense_intermediate_scale'])(
    'refuses a config without %s',
    (key) => {
      const c: Record<string, unknown> = { ...HF_CONFIG }
      delete c[key]
      expect(codeOf(c)).toBe('checkpoint-config')
    },
  )

  it('refuses plain GPT-2, other activations and inconsistent sizes; reads Levanter exports', () => {
    const gpt2: Record<string, unknown> = { ...HF_CONFIG, architectures: ['GPT2LMHeadModel'] }
    expect(codeOf(gpt2)).toBe('checkpoint-config')
    delete gpt2.num_senses
    delete gpt2.architectures
    expect(() => parseBackpackConfig(gpt2)).toThrow(/plain GPT-2/)
    expect(parseBackpackConfig({ ...HF_CONFIG, model_type: 'backpack-gpt2' })).toEqual(parseBackpackConfig(HF_CONFIG)) // the factor is the layout's (read-checkpoint)
    expect(codeOf({ ...HF_CONFIG, model_type: 'llama' })).toBe('checkpoint-config')
    expect(codeOf({ ...HF_CONFIG, activation_function: 'gelu' })).toBe('checkpoint-config')
    expect(codeOf({ ...HF_CONFIG, n_head: 7 })).toBe('checkpoint-config')
    expect(codeOf({ ...HF_CONFIG, num_senses: 5 })).toBe('checkpoint-config')
    expect(codeOf({ ...HF_CONFIG, n_embd: 768.5 })).toBe('checkpoint-config')
    expect(codeOf({ ...HF_CONFIG, vocab_size: '50264' })).toBe('checkpoint-config')
    expect(codeOf({ ...HF_CONFIG, layer_norm_epsilon: -1 })).toBe('checkpoint-config')
    expect(codeOf({ ...HF_CONFIG, n_layer: 1e9 })).toBe('checkpoint-config')
    expect(codeOf([HF_CONFIG])).toBe('checkpoint-config')
    expect(codeOf(null)).toBe('checkpoint-config')
  })
})

describe('expectedTensorShapes', () => {
  it('lists the 164 canonical keys of spec §2.2 (167 minus the three tied aliases) summing to 170,083,584 parameters', () => {
    const shapes = expectedTensorShapes(parseBackpackConfig(HF_CONFIG))
    expect(shapes.size).toBe(164)
    let total = 0
    for (const s of shapes.values()) total += s.reduce((a, b) => a * b, 1)
    expect(total).toBe(170_083_584) // backpack-spec.md §1.2
    expect(shapes.get('backpack.gpt2_model.wte.weight')).toEqual([50264, 768])
    expect(shapes.get('backpack.gpt2_model.h.11.attn.c_attn.weight')).toEqual([768, 2304])
    expect(shapes.get('backpack.sense_network.final_mlp.c_proj.weight')).toEqual([3072, 12288])
    expect(shapes.get('backpack.sense_weight_net.c_attn.weight')).toEqual([1536, 768])
    expect(shapes.has('lm_head.weight')).toBe(false)
    expect(shapes.has('backpack.word_embeddings.weight')).toBe(false)
  })
})
