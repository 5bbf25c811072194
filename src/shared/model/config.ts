/** The Backpack-GPT2 hyper-parameters the workbench needs, in camelCase (backpack-spec.md §1). */
export interface BackpackConfig {
  vocabSize: number // V: 50264 for stanfordnlp/backpack-gpt2
  nEmbd: number // d
  nHead: number // GPT-2 heads
  nLayer: number
  nPositions: number // hard token limit (512)
  nInner: number // GPT-2 MLP width (4·d when null in config.json)
  numSenses: number // k
  senseIntermediateScale: number // final sense MLP width = scale·d
  layerNormEpsilon: number
  scaleAttnByInverseLayerIdx: boolean
  scaleAttnWeights: boolean
  bosTokenId: number
  eosTokenId: number
}

/** Ids at or above this are padding rows of the embedding: never shown, never sampled. */
export const GPT2_TEXT_VOCAB = 50257
export const END_OF_TEXT = 50256
