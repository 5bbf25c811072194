import type { BackpackConfig } from '../model/config'
import type { SenseEditDocument, SenseEditKind } from '../edits/sense-edits'
import type { Comparison } from '../store/comparison-types'
import type { WordPolicy } from '../word-policy'

/**
 * The data that crosses the renderer ↔ main boundary (Electron IPC or serve's HTTP). Plain,
 * JSON-serialisable shapes only: no class instances and no typed arrays, except Float32Array
 * where a method answers whole tensors (`predict.forward`): Electron's structured clone carries
 * it as is, serve's JSON carries it through typed-array-json.ts. Main-side modules keep their
 * own richer types; the workbench service (src/main/workbench/) maps them onto these.
 */

/** One token of a prompt: its id, its text and its character span in the prompt. */
export interface TokenSpan {
  id: number
  text: string
}

export interface PromptToken extends TokenSpan {
  start: number // UTF-16 offset in the prompt
  end: number
}

export interface ProviderStatus {
  name: string // execution provider actually in use
  requested: string
  available: string[]
  reason?: string // why it is not the GPU one, when it is not
}

export interface ModelInfo {
  checkpointDir: string
  contentHash: string
  config: BackpackConfig
  provider: ProviderStatus
  loadedAt: string // ISO time
  /** the small demo checkpoint bundled with the app (the Model view then offers the full model) */
  bundledDemo?: boolean
}

/** One tensor of the parity self-check: engine vs one reference (float64 TypeScript or stored PyTorch). */
export interface ParityTensorCheck {
  tensor: 'logits' | 'senses' | 'contextualization'
  /** which reference this comparison is against (set in every report the self-check makes) */
  reference?: 'float64' | 'pytorch'
  shape: number[] // logits (pos, vocab), senses (sense, pos, d_model), contextualization (sense, pos, pos)
  /** max |reference| */
  scale: number
  maxAbsError: number
  /** maxAbsError / scale, compared with the tolerance */
  relativeError: number
  /** index (one entry per axis) of the largest error */
  worstIndex: number[]
  /** the engine's value there (null when it is NaN) */
  actual: number | null
  expected: number
  passed: boolean
}

/** The engine compared with one reference on the same ids. */
export interface ParityReferenceCheck {
  /**
   * 'float64': the independent TypeScript forward pass, computed now from the checkpoint's weights;
   * 'pytorch': the outputs the PyTorch reference stored in the checkpoint's `reference/` folder
   */
  reference: 'float64' | 'pytorch'
  /** the checkpoint folder (float64) or the `reference/` folder (pytorch) */
  source: string
  tensors: ParityTensorCheck[]
  passed: boolean
  /** producing the reference: reading the weights and the float64 pass, or reading the stored files */
  ms: number
}

export interface ParityCheckReport {
  checkpointDir: string
  /** the stored PyTorch outputs' folder; null when the checkpoint ships none */
  referenceDir: string | null
  tokens: number
  /** the token ids checked: those of `reference/ids.json`, else a fixed short sentence */
  ids: number[]
  /** relative error allowed per tensor */
  tolerance: number
  /** per tensor, the worst of its comparisons over all references */
  tensors: ParityTensorCheck[]
  /** float64 first, then pytorch when the checkpoint ships reference outputs */
  references: ParityReferenceCheck[]
  passed: boolean
  /** the engine's forward pass */
  forwardMs: number
}

export interface AppInfo {
  version: string
  transport: 'electron' | 'http' | 'worker' | 'cli'
  model: ModelInfo | null
}

export interface HubJobInfo {
  jobId: string
  repo: string
  revision: string
}

export interface HubProgress {
  phase: 'resolving' | 'downloading' | 'verifying' | 'done'
  file: string | null
  bytes: number // all requested files together
  total: number
  rate: number // bytes per second
  etaSeconds: number | null
}

export interface HubDownloadDone {
  repo: string
  revision: string
  commit: string
  snapshot: string // the checkpoint directory to load
  bytesDownloaded: number
}

export interface EncodeResponse {
  tokens: PromptToken[]
}

export interface ScoredToken extends TokenSpan {
  prob: number
  logit: number
}

export interface TokenLogProb extends TokenSpan {
  position: number // index of this token in the prompt (≥ 1: position 0 has no prediction)
  logProb: number // log p(token | prefix)
  rank: number // 1 = the model's top choice
  alternatives: ScoredToken[] // the top-k at this position
}

export interface PredictResponse {
  tokens: PromptToken[]
  next: ScoredToken[] // next-token top-k after the whole prompt
  logProbs: TokenLogProb[]
  edited: boolean // edits were applied
  timingsMs: Record<string, number>
  /** the content hash of the checkpoint that answered */
  contentHash?: string
}

export interface Contribution {
  position: number // source position j
  tokenId: number
  text: string
  sense: number
  value: number // α[sense, q, j] · (E·C(x_j)_sense)[target]
}

export interface AttributeResponse {
  position: number // query position q (the logit predicts the token after q)
  target: TokenSpan
  logit: number // the model's logit (after edits, when given)
  total: number // Σ contributions: equals logit up to float rounding
  contributions: Contribution[] // every (position, sense) pair, largest |value| first
  /** the contributions summed per (source token, sense) over the positions holding that token, largest |value| first */
  byTokenSense?: { tokenId: number; text: string; sense: number; value: number; positions: number[] }[]
  /** the prompt's tokens */
  tokens?: TokenSpan[]
  edited: boolean
  contentHash?: string
}

/** α of one sense for a prompt: (query, key), row-major float32 little-endian, base64. */
export interface ContextualizationResponse {
  tokens: TokenSpan[]
  sense: number
  numSenses: number
  n: number
  alpha: string
}

/**
 * The full pass over a prompt (`predict.forward`): the three outputs as float32 arrays in HF
 * layouts (batch dropped), under the edits when given.
 */
export interface ForwardResponse {
  /** the token ids the pass ran (text tokenized; truncated when asked): their texts are not looked up here, tokens.encode gives them */
  ids: number[]
  /** the prompt's length in tokens when `truncate` kept only the model's n_positions */
  truncatedFrom?: number
  shapes: { logits: [number, number]; senses: [number, number, number]; contextualization: [number, number, number] }
  logits: Float32Array // (pos, vocab)
  senses: Float32Array // (sense, pos, d_model), after any sense edits
  contextualization: Float32Array // (sense, pos, pos), after any α edits
  provider: ProviderStatus
  contentHash: string
  /** the edit document as validated for this model (its token strings resolved), when edits were given */
  edits?: SenseEditDocument
  /** what the edits do that may not be meant (edits of tied or never-seen tokens), as edits.validate names them */
  warnings?: string[]
  /** the pass's stages and its total */
  timingsMs: Record<string, number>
}

/** Tokens whose embedding rows are bit-identical (every score of one is the score of all), shown as one entry. */
export interface TiedGroupInfo {
  size: number // tokens in the group, this one included
  sample: TokenSpan[] // the first few members, by id
  neverSeen: boolean // the checkpoint's unigram counts say none of them occurred in training
  label: string // e.g. '"#" and 12,238 tokens with the same embedding row'
}

/** How lists treat tied tokens: one labelled entry per group (default) or every token. */
export type TiesMode = 'show' | 'collapse'

export interface SenseTokenScore extends TokenSpan {
  score: number
  /** present on a collapsed entry: the group it stands for */
  tied?: TiedGroupInfo
}

export interface ScoreDistribution {
  min: number
  max: number
  mean: number
  std: number
  histogram: { edges: number[]; counts: number[] } // equal-width bins: edges has bins+1 entries
  quantiles: Record<string, number> // "q01", "q50", …
}

export interface SenseCard {
  sense: number
  norm: number
  top: SenseTokenScore[]
  bottom: SenseTokenScore[]
  summary: ScoreDistribution // of E·C over the real tokens
}

export interface SenseLookupResponse {
  word: string
  text: string // the exact text tokenised (" " + word unless it starts with whitespace)
  tokens: TokenSpan[] // the word's tokens
  policy: WordPolicy // how a multi-token word was handled
  used: number[] // the token ids whose senses are shown
  multiToken: boolean // the word is several tokens: `policy` says whose senses are shown (as the CLI's `senses`)
  senses: SenseCard[]
}

export interface NeighboursResponse {
  word: string
  tokens: TokenSpan[] // the word's tokens
  policy: WordPolicy // how a multi-token word became the query (as senses.lookup)
  used: number[] // the token ids whose senses are the query
  multiToken: boolean
  measure: 'min' | number // Sim_min or Sim_ℓ for one sense
  neighbours: SenseTokenScore[]
}

export interface ReverseEntry extends TokenSpan {
  sense: number
  score: number
  /** present on a collapsed entry: the tokens whose same sense gives this same score */
  tied?: TiedGroupInfo
}

export interface ReverseResponse {
  target: TokenSpan
  direction: 'boost' | 'suppress'
  entries: ReverseEntry[]
}

export interface GeneratedTokenView extends TokenSpan {
  position: number
  logProb: number
  /** the (source token, sense) that pushed this token most, and its share of the positive push */
  dominant?: { tokenId: number; text: string; sense: number; share: number }
}

export interface GenerationView {
  text: string
  tokens: GeneratedTokenView[]
  stopReason: 'end-of-text' | 'max-new-tokens' | 'position-limit'
  edited: boolean
  tokensPerSecond: number
  /** the prompt's ids and the generated ones (the <|endoftext|> that stopped it not included) */
  promptIds?: number[]
  ids?: number[]
  decoding?: { strategy: 'greedy' | 'sample'; temperature?: number; topK?: number; topP?: number; seed?: number }
  recompute?: 'incremental' | 'full'
  speculation?: { guessed: number; accepted: number }
  timingsMs?: Record<string, number>
}

export interface GenerateResponse {
  prompt: string
  settings: { strategy: 'greedy' | 'sample'; maxNewTokens: number; temperature?: number; topK?: number; topP?: number; seed?: number }
  baseline: GenerationView
  /** with the same settings and seed; null when no edits were given */
  edited: GenerationView | null
  firstDifference: number | null
  contentHash?: string
}

/** The paper's gender-bias experiment (bias = max(p(he)/p(she), p(she)/p(he)); 1 = unbiased). */
export interface GenderBiasView {
  sense: number
  professions: { used: string[]; dropped: { profession: string; tokens: number[] }[] }
  prompts: { test: number; train: number }
  settings: {
    unmodified: { meanBias: number }
    removeSense: { meanBias: number; reduction: number }
    optimizeSense?: { meanBias: number; reduction: number; meanW: number }
  }
  perProfession: { profession: string; token: number; unmodified: number; removeSense: number; optimizeSense?: number; w?: number }[]
  edited: boolean
  /** why the suite shows a null or misleading effect on this model (tied professions, a sense without the he/she direction, a fit stuck at w = 1) */
  explanation?: string[]
}

/** Before/after figures of a knowledge edit on sentences that mention the edited token outside the edited fact. */
export interface MentionDegradationView {
  sentences: number
  /** tokens over all sentences */
  tokens: number
  editedTokenOccurrences: number
  /** exp(−mean log p(x_i | x_<i)) pooled over every sentence's tokens 1..n−1 */
  perplexityBefore: number
  perplexityAfter: number
  relativeChange: number
  /** the positions from the first occurrence of the edited token on (the only ones an edit of its senses can move) */
  positionsAfterEditedToken: number
  /** KL(before ‖ after) of the next-token distribution at those positions (nats): mean and max */
  meanKl: number
  maxKl: number
}

export interface KnowledgeEditView {
  cases: {
    name: string
    mean: { before: { pAdd: number; pRemove: number }; after: { pAdd: number; pRemove: number }; logOddsChange: number }
    senseChange: { norm: number; relative: number }
    /** why this edit can have no (or a shared) effect on this model, e.g. tied or never-seen tokens */
    explanation?: string[]
    degradation: {
      /** held-out text; without the edited token in it (`editedTokenOccurrences` 0) the change is exactly 0: the edit is local */
      heldout: { tokens: number; editedTokenOccurrences: number; perplexityBefore: number; perplexityAfter: number; relativeChange: number }
      /** prompts without the edited token: KL exactly 0 for the same reason */
      unrelated: { prompts: number; promptsWithEditedToken: number; meanKl: number; maxKl: number }
      /** the collateral damage: sentences that mention the edited token outside the edited fact (null: none for this token) */
      mentions: MentionDegradationView | null
    }
  }[]
  edited: boolean
}

export interface TopicSuiteView {
  topics: {
    topic: string
    bag: TokenSpan[]
    results: { strength: number; bagMass: number; bagShare: number; perplexity: number; samples?: { seed: number; text: string }[] }[]
  }[]
  summary: { strength: number; bagMass: number; bagShare: number; perplexity: number }[]
  edited: boolean
}

export interface ValidatedEdits {
  document: SenseEditDocument
  /** what the edits cannot do on this model (e.g. a token whose embedding row is tied with others) */
  warnings?: string[]
}

export interface BlastRadiusPair {
  a: TokenSpan
  b: TokenSpan
  /** bounds on the change of log-odds logit[a] − logit[b] over every context */
  maxIncrease: number
  maxDecrease: number
}

export interface BlastRadiusResponse {
  pairs: BlastRadiusPair[]
  /**
   * Edits of the document the bounds do not cover (index into its edits, from 0, and kind):
   * topic and α edits depend on the context, so they can move the log-odds beyond the bounds.
   */
  notCovered: { index: number; kind: SenseEditKind }[]
}

/** A rendered comparison table: two label columns, then one column per experiment. */
export interface ComparisonTableView {
  title: string
  columns: string[]
  rows: string[][]
}

export interface ExperimentComparison {
  comparison: Comparison
  tables: ComparisonTableView[]
}

export interface ExportedTable {
  format: 'csv' | 'md' | 'latex' | 'json'
  text: string
}

/** Log-prob figures of a span of text: `predicted` tokens scored (each window's first token is not). */
export interface EvaluationFigures {
  tokens: number
  predicted: number
  sumLogProb: number // natural log
  meanLogProb: number
  perplexity: number // exp(−meanLogProb)
}

/**
 * Per-token log-probs of a corpus under the edits, in windows of at most n_positions tokens whose
 * first token is not predicted: per document and pooled over all of them (the dataset figure).
 */
export interface EvaluateResponse {
  documents: (EvaluationFigures & { name: string })[]
  total: EvaluationFigures & { documents: number }
  window: number // tokens per window (the model's n_positions)
  /** every predicted token's log p, float32 little-endian base64, documents in order (documents[i].predicted each) */
  logProbs: string
  edited: boolean
  timingsMs: Record<string, number>
}

/** Figures of one state of the changes during fine-tuning (natural log throughout). */
export interface FinetuneFigures {
  /** mean over examples of the summed NLL of the suffix (suffix1 for the pair losses) */
  canonicalLoss: number
  /** mean example loss + klWeight · KL */
  objective: number
  /** mean over background positions of KL(p_orig ‖ p_edited) */
  kl: number
  /** mean per-token NLL of the background text */
  backgroundNll: number
}

/** One epoch's report, streamed as `finetune.progressed` and kept in `history`. */
export interface FinetuneEpochFigures extends FinetuneFigures {
  epoch: number
  epochs: number
}

/** The figures plus each example's loss and summed suffix NLL (one per suffix). */
export interface FinetuneMetrics extends FinetuneFigures {
  examples: { line: number; loss: number; suffixNll: number[] }[]
}

/** A trained (token, sense) with its selection score (Eq. 9 of Hewitt et al. 2024). */
export interface FinetuneSelectedSense {
  token: number
  /** the token as text */
  text: string
  sense: number
  score: number
  /** α mass sent to the suffix rows */
  suffixMass: number
  /** mean α mass per background position */
  backgroundMass: number
  /** lines of the examples that chose it */
  lines: number[]
}

/** The background text a fine-tuning run measured degradation on. */
export interface FinetuneBackgroundInfo {
  source: string
  isDefault: boolean
  truncated: boolean
  tokens: number
  positions: number
  reachedPositions: number
  statisticsCached: boolean
}

/**
 * A fine-tuning run: the senses chosen, the figures before and after (the kept epoch's; null with
 * no epoch inside the degradation ball), every epoch's figures, the examples as parsed, and the
 * learned changes as a sense-edit document (null when no epoch was kept).
 */
export interface FinetuneResponse {
  contentHash: string
  loss: 'nll' | 'unlikely' | 'balance' | 'good-v-bad'
  selected: FinetuneSelectedSense[]
  before: FinetuneMetrics
  after: FinetuneMetrics | null
  epochKept: number | null
  /** (1 + ε) × the original background NLL, when a ball was asked for */
  backgroundNllLimit: number | null
  history: FinetuneEpochFigures[]
  /** the examples as read: line, prefix and suffix texts (one suffix, or suffix1 and suffix2) */
  examples: { line: number; prefix: string; suffixes: string[] }[]
  document: SenseEditDocument | null
  background: FinetuneBackgroundInfo
  timingsMs: { prepare: number; epochs: number[] }
}
