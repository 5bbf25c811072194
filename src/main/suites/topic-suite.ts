import { WorkbenchError } from '../../shared/errors'
import { SEED_MAX } from '../../shared/generation-settings'
import type { ParsedSenseEdits } from '../../shared/edits/parse-sense-edits'
import type { TopicEdit } from '../../shared/edits/sense-edits'
import { TOPIC_WORDS } from '../../shared/edits/topic-words'
import { END_OF_TEXT } from '../../shared/model/config'
import { generate } from '../generation/generate'
import { analysisRunner } from '../interventions/apply-sense-edits'
import type { InterventionRunner, RunCallOptions } from '../interventions/intervention-runner'
import { logSumExp, textVocabSize } from '../math/top-k'
import type { BackpackEngine } from '../runtime/backpack-engine'
import { gpt2Tokenizer } from '../tokenizer/gpt2-tokenizer'
import { composeEdits } from './compose-edits'
import { perplexity, tokenLogProbs } from './sequence-metrics'

export type TopicStrength = 0 | 1 | 2 | 3

export interface TopicSuiteOptions {
  /** the user's edits; each topic setting adds its topic edit after them */
  edits?: ParsedSenseEdits | null
  /** built-in topic names (default: all 17) or explicit bags */
  topics?: readonly (string | { name: string; words: string[] })[]
  strengths?: readonly TopicStrength[]
  /** generations per topic and strength (the paper: 500; default 2) */
  samples?: number
  /** new tokens per generation (the paper: ~98; default 30) */
  maxNewTokens?: number
  /** sample s uses seed + s, the same across strengths (paired comparisons) */
  seed?: number
  includeTexts?: boolean
  /** the prompt ids (default [50256], the paper's lone <|endoftext|>; for models whose vocabulary lacks it) */
  prompt?: readonly number[]
  runner?: InterventionRunner
  signal?: AbortSignal
  onProgress?: (p: { topic: string; strength: number; done: number; total: number }) => void
  /** the sense-table build's progress, when the topic edits need the table built */
  onTableProgress?: RunCallOptions['onTableProgress']
}

export interface TopicSetting {
  strength: TopicStrength
  /** mean over generation steps (all samples) of Σ_{v ∈ bag} p(v), under the edited model */
  bagMass: number
  /** share of generated tokens whose id is in the bag */
  bagShare: number
  /** perplexity of the generated tokens under the unedited model (no edits at all), pooled */
  perplexity: number
  generatedTokens: number
  samples?: { seed: number; text: string; stopReason: string }[]
}

export interface TopicSuiteResult {
  suite: 'topic'
  settings: {
    samples: number
    maxNewTokens: number
    seed: number
    strengths: TopicStrength[]
    prompt: number[]
    decoding: 'ancestral (temperature 1, no top-k/top-p, padding masked)'
  }
  topics: { topic: string; bag: { id: number; text: string }[]; results: TopicSetting[] }[]
  /** per strength, the mean over topics */
  summary: { strength: TopicStrength; bagMass: number; bagShare: number; perplexity: number }[]
  edited: boolean
}

/**
 * Topic control as the paper evaluates it (Hewitt et al. 2023 §6.1, App. D.1; spec §4.3):
 * generations from a lone <|endoftext|> by pure ancestral sampling under the topic edit at
 * each strength, with metrics that need no external classifier — bag-of-words probability mass
 * per step, share of generated tokens in the bag (token ids, not the paper's stanza words), and
 * the generations' perplexity under the unedited model (the fluency cost; no MAUVE here).
 */
export async function topicSuite(engine: BackpackEngine, options: TopicSuiteOptions = {}): Promise<TopicSuiteResult> {
  const samples = options.samples ?? 2
  const maxNewTokens = options.maxNewTokens ?? 30
  const seed = options.seed ?? 0
  const strengths = [...(options.strengths ?? [0, 1, 2, 3])]
  if (!Number.isInteger(samples) || samples < 1)
    throw new WorkbenchError('bad-request', `samples must be a positive integer, got ${samples}`)
  if (!Number.isInteger(maxNewTokens) || maxNewTokens < 1)
    throw new WorkbenchError('bad-request', `maxNewTokens must be a positive integer, got ${maxNewTokens}`)
  // sample s uses seed + s: every one must be a seed the generator maps one-to-one to a stream
  if (!Number.isInteger(seed) || seed < 0 || seed + samples - 1 > SEED_MAX) {
    throw new WorkbenchError(
      'bad-request',
      `seed must be an integer in [0, ${SEED_MAX - samples + 1}] with ${samples} samples (sample s uses seed + s, at most ${SEED_MAX}), got ${seed}`,
    )
  }
  for (const s of strengths)
    if (![0, 1, 2, 3].includes(s)) throw new WorkbenchError('bad-request', `topic strength must be 0, 1, 2 or 3, got ${s}`)
  const topics = (options.topics ?? Object.keys(TOPIC_WORDS)).map((t) =>
    typeof t === 'string' ? { name: t, words: null } : { name: t.name, words: t.words },
  )
  for (const t of topics) {
    if (t.words === null && !(t.name in TOPIC_WORDS))
      throw new WorkbenchError('bad-request', `unknown topic "${t.name}"; built-in topics: ${Object.keys(TOPIC_WORDS).join(', ')}`)
  }
  const prompt = [...(options.prompt ?? [END_OF_TEXT])]
  const runner = options.runner ?? analysisRunner(engine)
  const base = options.edits ?? null
  const textV = textVocabSize(engine.config.vocabSize)
  const tok = gpt2Tokenizer()
  const total = topics.length * strengths.length
  let done = 0
  const out: TopicSuiteResult['topics'] = []
  for (const t of topics) {
    const results: TopicSetting[] = []
    let bag: number[] = []
    for (const strength of strengths) {
      const topicEdit: TopicEdit =
        t.words === null ? { kind: 'topic', topic: t.name, strength } : { kind: 'topic', words: t.words, strength }
      const edits = composeEdits(engine, base, [topicEdit]) as ParsedSenseEdits
      const parsed = edits.edits.find((e) => e.kind === 'topic')
      bag = parsed && parsed.kind === 'topic' ? parsed.bag : []
      const inBag = new Set(bag)
      let massSum = 0
      let steps = 0
      let hits = 0
      const logProbs: number[] = []
      const texts: NonNullable<TopicSetting['samples']> = []
      for (let s = 0; s < samples; s++) {
        const g = await generate(engine, {
          ids: prompt,
          maxNewTokens,
          strategy: 'sample',
          temperature: 1,
          seed: seed + s,
          edits,
          runner,
          signal: options.signal,
          onTableProgress: options.onTableProgress,
          onLogits: (_, logits) => {
            const lse = logSumExp(logits, 0, textV)
            for (const v of inBag) massSum += Math.exp(logits[v] - lse)
            steps++
          },
        })
        hits += g.ids.filter((id) => inBag.has(id)).length
        // log p of the generated tokens only: the prompt's own tokens (after its first) are context
        if (g.ids.length > 0) logProbs.push(...(await tokenLogProbs(runner, [...prompt, ...g.ids], null)).slice(-g.ids.length))
        texts.push({ seed: seed + s, text: g.text, stopReason: g.stopReason })
      }
      results.push({
        strength,
        bagMass: steps > 0 ? massSum / steps : 0,
        bagShare: logProbs.length > 0 ? hits / logProbs.length : 0,
        perplexity: perplexity(logProbs),
        generatedTokens: logProbs.length,
        ...((options.includeTexts ?? true) ? { samples: texts } : {}),
      })
      options.onProgress?.({ topic: t.name, strength, done: ++done, total })
    }
    out.push({ topic: t.name, bag: bag.map((id) => ({ id, text: tok.tokenText(id) })), results })
  }
  const summary = strengths.map((strength, i) => {
    const rows = out.map((t) => t.results[i])
    const mean = (f: (r: TopicSetting) => number) => rows.reduce((s, r) => s + f(r), 0) / rows.length
    return { strength, bagMass: mean((r) => r.bagMass), bagShare: mean((r) => r.bagShare), perplexity: mean((r) => r.perplexity) }
  })
  return {
    suite: 'topic',
    settings: { samples, maxNewTokens, seed, strengths, prompt, decoding: 'ancestral (temperature 1, no top-k/top-p, padding masked)' },
    topics: out,
    summary,
    edited: (base?.edits.length ?? 0) > 0,
  }
}
