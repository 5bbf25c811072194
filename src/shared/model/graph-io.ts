import type { BackpackConfig } from './config'

/**
 * The tensor catalog: every ONNX graph the converter writes and the runtime loads, with each
 * input/output's name, dtype and named dims. The converter writes exactly these names, the
 * runtime checks loaded sessions against them, and views read dims by name. No batch dimension
 * anywhere: every graph works on one sequence. See docs/engine.md for the design.
 *
 * Bump GRAPH_IO_VERSION whenever a graph's interface or semantics change; cached conversions
 * with another version are rebuilt.
 */
export const GRAPH_IO_VERSION = 2

/** Fixed dims come from the config; free dims vary per call. */
export type FixedDim = 'sense' | 'd_model' | 'vocab' | 'layer' | 'head' | 'head_dim' | 'sense_dim'
export type FreeDim =
  | 'n' // any number of rows (token ids, vectors)
  | 'pos' // positions of this call (new tokens in the context graph)
  | 'past' // positions already in the K/V cache
  | 'total' // past + pos
  | 'query' // selected query positions for the combine step
export type DimName = FixedDim | FreeDim

export type TensorDtype = 'float32' | 'int64'

export interface TensorSpec {
  name: string
  dtype: TensorDtype
  dims: readonly DimName[]
  doc: string
}

export interface GraphSpec {
  /** file name inside the export directory */
  file: string
  doc: string
  inputs: readonly TensorSpec[]
  outputs: readonly TensorSpec[]
}

export const GRAPH_NAMES = ['senses', 'context', 'mix', 'lm_head'] as const
export type GraphName = (typeof GRAPH_NAMES)[number]

const f32 = (name: string, dims: readonly DimName[], doc: string): TensorSpec => ({ name, dtype: 'float32', dims, doc })

export const GRAPHS: Record<GraphName, GraphSpec> = {
  senses: {
    file: 'senses.onnx',
    doc: 'Sense network C(x) per token, from its word embedding E[x] (no position information, spec §3.1).',
    inputs: [f32('token_embeddings', ['n', 'd_model'], 'rows E[x] of the tokens (the runtime reads them from the data file)')],
    outputs: [f32('senses', ['n', 'sense', 'd_model'], 'the k sense vectors of each id')],
  },
  context: {
    file: 'context.onnx',
    doc:
      'GPT-2 contextualization network + sense weight network (spec §3.2–3.3) with a K/V cache. ' +
      'The full pass feeds past tensors with past = 0; decoding feeds the previous presents. ' +
      'Position embeddings are added inside; word embeddings come in, so E lives only in lm_head.',
    inputs: [
      f32('input_embeds', ['pos', 'd_model'], 'word embeddings E[x] of the new tokens; their positions are past .. past+pos-1'),
      f32('past_keys', ['layer', 'head', 'past', 'head_dim'], 'GPT-2 keys of earlier positions'),
      f32('past_values', ['layer', 'head', 'past', 'head_dim'], 'GPT-2 values of earlier positions'),
      f32('past_sense_keys', ['sense', 'past', 'sense_dim'], 'weight-net keys κ of earlier positions'),
    ],
    outputs: [
      f32('contextualization', ['sense', 'pos', 'total'], 'α rows of the new positions over all positions'),
      f32('present_keys', ['layer', 'head', 'total', 'head_dim'], 'past_keys with the new positions appended'),
      f32('present_values', ['layer', 'head', 'total', 'head_dim'], 'past_values with the new positions appended'),
      f32('present_sense_keys', ['sense', 'total', 'sense_dim'], 'past_sense_keys with the new positions appended'),
    ],
  },
  mix: {
    file: 'mix.onnx',
    doc: 'Weighted sum of (possibly edited) senses: hidden[q] = Σ_ℓ Σ_j α[ℓ,q,j]·scale[ℓ,j]·senses[ℓ,j] (spec §3.4). No weights.',
    inputs: [
      f32('senses', ['sense', 'pos', 'd_model'], 'sense vectors of the prompt tokens (HF layout)'),
      f32('alpha_rows', ['sense', 'query', 'pos'], 'α rows of the selected query positions'),
      f32('sense_scale', ['sense', 'pos'], 'multiplier per (sense, source position); 1 = unedited'),
    ],
    outputs: [f32('hidden', ['query', 'd_model'], 'the Backpack output o before the LM head')],
  },
  lm_head: {
    file: 'lm_head.onnx',
    doc: 'Tied LM head: logits = hidden · Eᵀ. Also serves project(v) = E·v.',
    inputs: [f32('hidden', ['n', 'd_model'], 'vectors in model space')],
    outputs: [f32('logits', ['n', 'vocab'], 'scores over the vocabulary (padding ids included)')],
  },
}

/** Sizes of the fixed dims for a config. */
export function fixedDimSizes(config: BackpackConfig): Record<FixedDim, number> {
  return {
    sense: config.numSenses,
    d_model: config.nEmbd,
    vocab: config.vocabSize,
    layer: config.nLayer,
    head: config.nHead,
    head_dim: config.nEmbd / config.nHead,
    sense_dim: config.nEmbd / config.numSenses,
  }
}

/** Concrete shape of a tensor spec given the fixed sizes and the free dims of this call. */
export function shapeOf(spec: TensorSpec, config: BackpackConfig, free: Partial<Record<FreeDim, number>>): number[] {
  const fixed = fixedDimSizes(config)
  return spec.dims.map((d) => {
    const v = d in fixed ? fixed[d as FixedDim] : free[d as FreeDim]
    if (v === undefined) throw new Error(`dim "${d}" of tensor "${spec.name}" needs a size`)
    return v
  })
}
