import { WorkbenchError } from '../../shared/errors'
import type { ParsedSenseEdits } from '../../shared/edits/parse-sense-edits'
import { END_OF_TEXT } from '../../shared/model/config'
import { analysisRunner } from '../interventions/apply-sense-edits'
import type { InterventionRunner } from '../interventions/intervention-runner'
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
  /** stop when <|endoftext|> is chosen (default true) */
  stopAtEndOfText?: boolean
  runner?: InterventionRunner
  signal?: AbortSignal
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
  if (prompt.length > nPositions) throw new WorkbenchError('too-long', `the prompt has ${prompt.length} tokens; the model takes at most ${nPositions}`)
  for (const id of prompt) if (!Number.isInteger(id) || id < 0 || id >= V) throw new WorkbenchError('bad-request', `prompt token ${id} is outside the vocabulary [0, ${V})`)
  const maxNew = options.maxNewTokens ?? 32
  if (!Number.isInteger(maxNew) || maxNew < 0) throw new WorkbenchError('bad-request', `maxNewTokens must be a non-negative integer, got ${maxNew}`)
  const recompute = options.recompute ?? 'incremental'
  if (recompute !== 'incremental' && recompute !== 'full') throw new WorkbenchError('bad-request', `recompute must be "incremental" or "full", got ${JSON.stringify(recompute)}`)
  if (options.attribute && recompute === 'full') throw new WorkbenchError('bad-request', 'per-token attribution is available with incremental decoding only')
  const decoding = checkDecodingSettings(
    options.strategy === 'sample'
      ? { strategy: 'sample', temperature: options.temperature ?? 1, topK: options.topK, topP: options.topP, seed: options.seed ?? 0 }
      : { strategy: options.strategy ?? 'greedy' } as DecodingSettings,
  )
  const rng = decoding.strategy === 'sample' ? new SeededRandom(decoding.seed) : null
  const runner = options.runner ?? analysisRunner(engine)
  const edits = options.edits ?? null
  const tok = gpt2Tokenizer()
  const tokens: GeneratedToken[] = []
  const ids = [...prompt]
  let stopReason: StopReason = 'max-new-tokens'
  let tPrompt = 0
  const decoder = recompute === 'incremental' ? await IncrementalDecoder.open(runner, edits) : null
  try {
    let logits = decoder ? await decoder.append(prompt) : await lastLogits(runner, ids, edits)
    tPrompt = performance.now() - t0
    for (let step = 0; ; step++) {
      if (tokens.length >= maxNew) break
      if (ids.length >= nPositions) {
        stopReason = 'position-limit'
        break
      }
      if (options.signal?.aborted) throw new WorkbenchError('cancelled', 'generation was cancelled')
      options.onLogits?.(step, logits)
      // greedy: the id alone first, so the next step starts before log p is summed over the vocabulary
      const chosen = decoding.strategy === 'greedy' ? { id: greedyToken(logits, 0, V), logProb: NaN } : chooseToken(logits, 0, V, decoding, rng)
      if (chosen.id === END_OF_TEXT && (options.stopAtEndOfText ?? true)) {
        stopReason = 'end-of-text'
        break
      }
      const last = decoder?.last ?? null // what produced these logits, before the next append replaces it
      ids.push(chosen.id)
      // the next logits only when another token may follow (a full sequence is never fed)
      const more = tokens.length + 1 < maxNew && ids.length < nPositions
      const next = more ? (decoder ? decoder.append([chosen.id]) : lastLogits(runner, ids, edits)) : null
      next?.catch(() => {}) // awaited below; a failure surfaces there
      if (decoding.strategy === 'greedy') chosen.logProb = tokenLogProb(logits, 0, V, chosen.id)
      const token: GeneratedToken = { position: ids.length - 1, id: chosen.id, text: tok.tokenText(chosen.id), logProb: chosen.logProb }
      if (options.attribute && last) {
        const [ev] = await runner.embedding([chosen.id])
        const dom = dominantContribution(last, ids.slice(0, -1), ev, k, d)
        token.dominant = { ...dom, text: tok.tokenText(dom.tokenId) }
      }
      tokens.push(token)
      options.onToken?.(token)
      if (next) logits = await next
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
  }
}

/** Full recomputation: the whole sequence through the runner, logits of the last position. */
async function lastLogits(runner: InterventionRunner, ids: readonly number[], edits: ParsedSenseEdits | null): Promise<Float32Array> {
  const out = await runner.run(ids, edits, { positions: [ids.length - 1] })
  return out.logits // (1, vocab)
}
