import { WorkbenchError } from '../../shared/errors'
import type { ParsedSenseEdits } from '../../shared/edits/parse-sense-edits'
import { END_OF_TEXT } from '../../shared/model/config'
import { analysisRunner } from '../interventions/apply-sense-edits'
import type { InterventionRunner, RunCallOptions } from '../interventions/intervention-runner'
import type { BackpackEngine } from '../runtime/backpack-engine'
import { gpt2Tokenizer } from '../tokenizer/gpt2-tokenizer'
import { dominantContribution, type DominantContribution } from './dominant-contribution'
import { IncrementalDecoder } from './incremental-decoder'
import { checkDecodingSettings, chooseToken, greedyToken, tokenLogProb, type DecodingSettings } from './sample-token'
import { SeededRandom } from './seeded-random'

export interface GenerateOptions {
  /** the prompt's token ids (at least one; no BOS is added) */
  ids: readonly number[]
  /** default 32 */
  maxNewTokens?: number
  /** 'greedy' (default) or 'sample' with the settings below */
  strategy?: 'greedy' | 'sample'
  temperature?: number // default 1
  topK?: number
  topP?: number
  /** sampling seed (default 0) */
  seed?: number
  edits?: ParsedSenseEdits | null
  /** 'incremental' (default, spec §3.6) or 'full': re-run the whole sequence every step */
  recompute?: 'incremental' | 'full'
  /** per token, the dominant (source token, sense) behind its logit (incremental only) */
  attribute?: boolean
  /**
   * Speculative steps (incremental decoding without a topic edit or attribution): at most this
   * many guessed tokens (default 4; 0 = off) — what followed the latest earlier occurrence of
   * the sequence's last 3 (else 2) tokens — are appended with the chosen one in one pass, and
   * each is kept only when the step that checks it chooses it from its own logits row (the same
   * choice, random draw included, as one token at a time); a wrong guess and those after it
   * are dropped from the decoder. One pass reads the weights once for several positions.
   */
  speculate?: number
  /** stop when <|endoftext|> is chosen (default true) */
  stopAtEndOfText?: boolean
  runner?: InterventionRunner
  /** cancels the generation (and a sense-table build that a topic edit needs) */
  signal?: AbortSignal
  /** the sense-table build's progress, when a topic edit needs the table built */
  onTableProgress?: RunCallOptions['onTableProgress']
  /** every step's next-token logits (vocab), before choosing (tests, diagnostics) */
  onLogits?: (step: number, logits: Float32Array) => void
  onToken?: (token: GeneratedToken) => void
}

export interface GeneratedToken {
  position: number // index in prompt + generated
  id: number
  text: string
  /** log p(token) under the (edited) model, temperature 1, padding masked */
  logProb: number
  dominant?: DominantContribution & { text: string }
}

export type StopReason = 'end-of-text' | 'max-new-tokens' | 'position-limit'

export interface GenerationResult {
  promptIds: number[]
  prompt: string
  ids: number[] // generated ids (the <|endoftext|> that stopped it is not included)
  text: string // generated text
  tokens: GeneratedToken[]
  stopReason: StopReason
  decoding: DecodingSettings
  recompute: 'incremental' | 'full'
  edited: boolean
  timingsMs: { prompt: number; generate: number; total: number }
  tokensPerSecond: number
  /** speculative steps: guessed tokens appended, and how many of them were kept */
  speculation: { guessed: number; accepted: number }
}

/**
 * Generates text from a prompt, optionally under sense edits. Padding ids are never chosen;
 * it stops at <|endoftext|>, after `maxNewTokens`, or when prompt + generated tokens fill the
 * model's n_positions (512) — the generated text always fits one more forward pass. Same
 * prompt, edits and settings (seed included) → the same tokens.
 */
export async function generate(engine: BackpackEngine, options: GenerateOptions): Promise<GenerationResult> {
  const t0 = performance.now()
  const { vocabSize: V, nPositions, numSenses: k, nEmbd: d } = engine.config
  const prompt = [...options.ids]
  if (prompt.length === 0) throw new WorkbenchError('bad-request', 'generation needs a prompt of at least one token')
  if (prompt.length > nPositions)
    throw new WorkbenchError('too-long', `the prompt has ${prompt.length} tokens; the model takes at most ${nPositions}`)
  for (const id of prompt)
    if (!Number.isInteger(id) || id < 0 || id >= V)
      throw new WorkbenchError('bad-request', `prompt token ${id} is outside the vocabulary [0, ${V})`)
  const maxNew = options.maxNewTokens ?? 32
  if (!Number.isInteger(maxNew) || maxNew < 0)
    throw new WorkbenchError('bad-request', `maxNewTokens must be a non-negative integer, got ${maxNew}`)
  const recompute = options.recompute ?? 'incremental'
  if (recompute !== 'incremental' && recompute !== 'full')
    throw new WorkbenchError('bad-request', `recompute must be "incremental" or "full", got ${JSON.stringify(recompute)}`)
  if (options.attribute && recompute === 'full')
    throw new WorkbenchError('bad-request', 'per-token attribution is available with incremental decoding only')
  const decoding = checkDecodingSettings(
    options.strategy === 'sample'
      ? { strategy: 'sample', temperature: options.temperature ?? 1, topK: options.topK, topP: options.topP, seed: options.seed ?? 0 }
      : ({ strategy: options.strategy ?? 'greedy' } as DecodingSettings),
  )
  const maxDraft = options.speculate ?? 4
  if (!Number.isInteger(maxDraft) || maxDraft < 0 || maxDraft > 64)
    throw new WorkbenchError('bad-request', `speculate must be an integer in [0, 64], got ${maxDraft}`)
  const rng = decoding.strategy === 'sample' ? new SeededRandom(decoding.seed) : null
  const runner = options.runner ?? analysisRunner(engine)
  const edits = options.edits ?? null
  const tok = gpt2Tokenizer()
  const tokens: GeneratedToken[] = []
  const ids = [...prompt]
  let stopReason: StopReason = 'max-new-tokens'
  let tPrompt = 0
  const call = { signal: options.signal, onTableProgress: options.onTableProgress }
  const decoder = recompute === 'incremental' ? await IncrementalDecoder.open(runner, edits, call) : null
  const speculate = decoder?.canSpeculate && !options.attribute ? maxDraft : 0
  let guessed = 0
  let accepted = 0
  try {
    // logits for the coming steps: queue[0] is the next step's; drafts[i] is the token already
    // appended after the position of queue[i] (a guess that the step using queue[i] checks)
    let queue: Float32Array[] = [decoder ? await decoder.append(prompt) : await lastLogits(runner, ids, edits, call)]
    let drafts: number[] = []
    tPrompt = performance.now() - t0
    for (let step = 0; ; step++) {
      if (tokens.length >= maxNew) break
      if (ids.length >= nPositions) {
        stopReason = 'position-limit'
        break
      }
      if (options.signal?.aborted) throw new WorkbenchError('cancelled', 'generation was cancelled')
      const logits = queue.shift() as Float32Array
      const draft = drafts.shift()
      options.onLogits?.(step, logits)
      // greedy: the id alone first, so the next step starts before log p is summed over the vocabulary
      const chosen =
        decoding.strategy === 'greedy' ? { id: greedyToken(logits, 0, V), logProb: NaN } : chooseToken(logits, 0, V, decoding, rng)
      if (chosen.id === END_OF_TEXT && (options.stopAtEndOfText ?? true)) {
        stopReason = 'end-of-text'
        break
      }
      const last = decoder?.last ?? null // what produced these logits, before the next append replaces it
      ids.push(chosen.id)
      let next: Promise<Float32Array> | null = null
      let guesses: number[] = []
      if (draft !== undefined && chosen.id === draft) {
        accepted++ // the guess was right: it is in the decoder already, and queue[0] holds its logits
      } else {
        if (decoder && draft !== undefined) {
          await decoder.truncate(ids.length - 1) // drop the wrong guess and the ones after it
          queue = []
          drafts = []
        }
        // the next logits only when another token may follow (a full sequence is never fed)
        const more = tokens.length + 1 < maxNew && ids.length < nPositions
        if (more && speculate > 0) guesses = lookupDraft(ids, Math.min(speculate, maxNew - tokens.length - 1, nPositions - ids.length))
        guessed += guesses.length
        next = more
          ? decoder
            ? decoder.append([chosen.id, ...guesses], { rows: guesses.length + 1 })
            : lastLogits(runner, ids, edits, call)
          : null
        next?.catch(() => {}) // awaited below; a failure surfaces there
      }
      if (decoding.strategy === 'greedy') chosen.logProb = tokenLogProb(logits, 0, V, chosen.id)
      const token: GeneratedToken = { position: ids.length - 1, id: chosen.id, text: tok.tokenText(chosen.id), logProb: chosen.logProb }
      if (options.attribute && last) {
        const [ev] = await runner.embedding([chosen.id])
        const dom = dominantContribution(last, ids.slice(0, -1), ev, k, d)
        token.dominant = { ...dom, text: tok.tokenText(dom.tokenId) }
      }
      tokens.push(token)
      options.onToken?.(token)
      if (next) {
        const rows = await next // (1 + guesses, vocab)
        queue = Array.from({ length: guesses.length + 1 }, (_, q) => rows.subarray(q * V, (q + 1) * V))
        drafts = guesses
      }
    }
  } finally {
    decoder?.dispose()
  }
  const total = performance.now() - t0
  const generated = tokens.map((t) => t.id)
  return {
    promptIds: prompt,
    prompt: tok.decode(prompt),
    ids: generated,
    text: tok.decode(generated),
    tokens,
    stopReason,
    decoding,
    recompute,
    edited: (edits?.edits.length ?? 0) > 0,
    timingsMs: { prompt: tPrompt, generate: total - tPrompt, total },
    tokensPerSecond: tokens.length > 0 ? tokens.length / ((total - tPrompt) / 1000) : 0,
    speculation: { guessed, accepted },
  }
}

/** Full recomputation: the whole sequence through the runner, logits of the last position. */
async function lastLogits(
  runner: InterventionRunner,
  ids: readonly number[],
  edits: ParsedSenseEdits | null,
  call: RunCallOptions,
): Promise<Float32Array> {
  const out = await runner.run(ids, edits, { positions: [ids.length - 1], ...call })
  return out.logits // (1, vocab)
}

/**
 * Prompt-lookup guesses: up to `max` tokens that followed the latest earlier occurrence of the
 * last 3 tokens of `ids` (else the last 2); none when neither occurred before.
 */
export function lookupDraft(ids: readonly number[], max: number): number[] {
  const L = ids.length
  if (max <= 0) return []
  for (let n = 3; n >= 2; n--) {
    if (L <= n) continue
    for (let start = L - n - 1; start >= 0; start--) {
      let match = true
      for (let i = 0; i < n && match; i++) match = ids[start + i] === ids[L - n + i]
      if (match) return ids.slice(start + n, Math.min(start + n + max, L))
    }
  }
  return []
}
